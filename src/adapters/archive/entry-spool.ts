import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { StagedBody } from '../../application/ports/archive-encoder.port';
import { UnavailableError } from '../../domain/errors';
import { DeflatedRun } from './deflated-run';
import { deflateBlocks, newTally, type ParallelGzipOptions } from './parallel-gzip';
import { tailOf } from './stored-deflate';

/** Bytes per read when a spooled body is streamed back. */
const READ_CHUNK = 256 * 1024;

/**
 * Writes a body of unknown length to a temporary file to learn its size (tar writes the size
 * before the body), so it can be streamed back after its header. The body is deflated on the way
 * in (raw deflate blocks the archive's gzip member takes as they are: see DeflatedRun) and hashed,
 * so it is compressed once, while it is produced, and the file holds a fraction of its size. The
 * file is unlinked as soon as it is open: a crash or a kill leaves nothing behind, only this handle
 * keeps its blocks.
 */
export async function spoolBody(source: AsyncIterable<Uint8Array>, dir: string, gzip: ParallelGzipOptions = {}): Promise<StagedBody> {
  const file = await openAnonymous(dir);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= file.close());
  const hash = createHash('sha256');
  const tally = newTally();
  let stored = 0;
  try {
    async function* hashed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    }
    for await (const chunk of deflateBlocks(hashed(), tally, { ...gzip, onProgress: undefined })) {
      await writeAt(file, chunk, stored, dir);
      stored += chunk.byteLength;
    }
  } catch (error) {
    await close();
    throw error;
  }
  const tail = tally.previous ? tailOf(tally.previous) : Buffer.alloc(0);
  const run = new DeflatedRun(tally.bytesIn, tally.crc, hash.digest('hex'), tail, () => readBack(file, stored));
  return { size: tally.bytesIn, read: () => run, close };
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

async function* readBack(file: FileHandle, size: number): AsyncGenerator<Uint8Array> {
  for (let position = 0; position < size; ) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - position));
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break; // the tar writer reports the short body
    position += bytesRead;
    yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
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
