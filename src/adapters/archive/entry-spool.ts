import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw } from 'node:zlib';
import type { StagedBody } from '../../application/ports/archive-encoder.port';
import { UnavailableError } from '../../domain/errors';
import { DeflatedRun } from './deflated-run';
import type { ParallelGzipOptions } from './parallel-gzip';
import { tailOf } from './stored-deflate';
import { YoungCollector } from '../young-generation';


/** Deflate's window: the bytes a compressed block may refer back to. */
const WINDOW = 32 * 1024;

/** Bytes per read when a spooled body is streamed back. */
const READ_CHUNK = 256 * 1024;

/** Output buffer of a staged body's deflate stream: a quarter of a typical input chunk, in as few callbacks. */
const DEFLATE_CHUNK = 256 * 1024;

/**
 * Writes a body of unknown length to a temporary file to learn its size (tar writes the size
 * before the body), so it can be streamed back after its header. The body is deflated on the way
 * in (raw deflate the archive's gzip member takes as it is: see DeflatedRun) and hashed, so it is
 * compressed once, while it is produced, and the file holds a fraction of its size. The file is
 * unlinked as soon as it is open: a crash or a kill leaves nothing behind, only this handle keeps
 * its blocks.
 *
 * One deflate stream per body (on the libuv pool, beside whatever produces the body): a table file
 * is produced one page at a time anyway, and a stream allocates its zlib state and output buffers
 * once, where a deflate per block allocated both per block; that garbage, freed only when V8 next
 * collects, was a large part of the backup's peak RSS. Only `gzip.level` applies here.
 */
export async function spoolBody(source: AsyncIterable<Uint8Array>, dir: string, gzip: ParallelGzipOptions = {}): Promise<StagedBody> {
  const file = await openAnonymous(dir);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= file.close());
  const hash = createHash('sha256');
  let crc = 0;
  let length = 0;
  let recent: Buffer[] = [];
  let stored = 0;
  const young = new YoungCollector({ reclaimOld: true });
  async function* read(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (buf.length === 0) continue;
      hash.update(buf);
      crc = crc32(buf, crc);
      length += buf.length;
      recent = keepWindow(recent, buf);
      yield buf;
      young.passed(buf.length);
    }
  }
  async function write(deflated: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of deflated) {
      await writeAt(file, chunk, stored, dir);
      stored += chunk.byteLength;
    }
  }
  try {
    const deflate = createDeflateRaw({ level: gzip.level ?? 6, chunkSize: DEFLATE_CHUNK, finishFlush: constants.Z_SYNC_FLUSH });
    await pipeline(Readable.from(read(), { objectMode: false, highWaterMark: 1 }), deflate, write);
  } catch (error) {
    await close();
    throw error;
  }
  const tail = length > 0 ? tailOf({ parts: recent, length: recent.reduce((sum, b) => sum + b.length, 0) }) : Buffer.alloc(0);
  const run = new DeflatedRun(length, crc, hash.digest('hex'), tail, () => readBack(file, stored));
  return { size: length, read: () => run, close };
}

/** The last chunks of a body, as many as cover the deflate window (the dictionary of what follows it). */
function keepWindow(recent: Buffer[], chunk: Buffer): Buffer[] {
  if (chunk.length >= WINDOW) return [chunk];
  const kept = [...recent, chunk];
  let covered = 0;
  let from = kept.length;
  while (from > 0 && covered < WINDOW) covered += kept[--from].length;
  return kept.slice(from);
}

async function writeAt(file: FileHandle, chunk: Uint8Array, position: number, dir: string): Promise<void> {
  try {
    for (let done = 0; done < chunk.byteLength; ) {
      done += (await file.write(chunk, done, chunk.byteLength - done, position + done)).bytesWritten;
    }
  } catch (error) {
    throw spoolError(error, dir);
  }
}

async function openAnonymous(dir: string): Promise<FileHandle> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${randomUUID()}.spool`);
    const file = await open(path, 'wx+', 0o600);
    await unlink(path);
    return file;
  } catch (error) {
    throw spoolError(error, dir);
  }
}

/** The deflated bytes as stored; each read is a new buffer (the archive's consumer may hold it), collected as they go. */
async function* readBack(file: FileHandle, size: number): AsyncGenerator<Uint8Array> {
  const young = new YoungCollector({ reclaimOld: true });
  for (let position = 0; position < size; ) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - position));
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break; // the tar writer reports the short body
    position += bytesRead;
    yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    young.passed(bytesRead);
  }
}

/** A failed write or open says whether the disk is full. */
function spoolError(error: unknown, dir: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UnavailableError('storage_full',
      `The disk holding the backup's work folder (${dir}) is full (${code}): free space on it or move DATA_DIR to a larger disk, then try again`);
  }
  return new UnavailableError('spool_unavailable', `The backup's work folder (${dir}) cannot be written (${code}); check DATA_DIR and its permissions`);
}
