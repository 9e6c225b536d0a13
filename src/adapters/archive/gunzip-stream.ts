import { createGunzip, type Gunzip } from 'node:zlib';
import type { ByteStream } from '../../application/ports/blob-store.port';
import type { ArchiveLimits, ArchiveProgress } from '../../application/ports/archive-reader.port';
import { isDomainError } from '../../domain/errors';
import { formatBytes } from '../../domain/byte-size';
import { archiveInvalid, archiveLimit } from './archive-error';

export interface GunzipCounters {
  compressedBytes: number;
  uncompressedBytes: number;
}

export interface GunzipOptions {
  readonly limits: ArchiveLimits;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ArchiveProgress) => void;
}

// Input is fed in pieces of up to 1 MiB: every piece is a round trip to zlib's thread, so small
// ones cost more in hand-overs than in inflating. Output comes in chunks of 128 KiB: a 1 MiB chunk
// lived long enough (while its few thousand rows were parsed) to reach V8's old generation, where
// dead ones piled up by the tens of MB until a full GC, and its malloc churn left the heap
// fragmented; 128 KiB ones die young and cost no measurable time. A bomb is still stopped after one
// chunk: zlib honours backpressure on its output side, so it inflates at most a chunk or two past
// the one the ratio check is looking at.
const PIECE = 1024 * 1024;
const OUTPUT_CHUNK = 128 * 1024;
// ID1 ID2 CM=deflate: every gzip member starts so.
const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

function waitWritable(stream: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** zlib's terse messages, turned into what an operator can act on. */
function gzipError(error: unknown, counters: GunzipCounters): unknown {
  const e = error as NodeJS.ErrnoException;
  if (isDomainError(error) || typeof e?.code !== 'string' || !e.code.startsWith('Z_')) return error;
  const at = `at compressed byte ${counters.compressedBytes}`;
  switch (e.message) {
    case 'unexpected end of file':
      return archiveInvalid(undefined, `the gzip stream is truncated (it ends unexpectedly ${at})`);
    case 'incorrect header check':
      // The first member's magic was checked before zlib saw it: this is about what follows it.
      return archiveInvalid(undefined, 'trailing garbage after the gzip stream (the data after the last gzip member is not a gzip member)');
    case 'incorrect data check':
      return archiveInvalid(undefined, 'gzip CRC-32 mismatch: the compressed data is corrupt');
    case 'incorrect length check':
      return archiveInvalid(undefined, 'gzip length mismatch: the compressed data is corrupt');
    default:
      return archiveInvalid(undefined, `the gzip data is corrupt (${e.message} ${at})`);
  }
}

/**
 * Decompressed chunks of a gzip stream (one or more members). Throws when the stream is not gzip,
 * is truncated or corrupt, carries anything after its last member (zero padding included), or
 * goes over the size or compression-ratio limits — as soon as that happens, not at the end.
 */
export async function* gunzipChunks(source: ByteStream, options: GunzipOptions, counters: GunzipCounters): AsyncGenerator<Buffer> {
  const { limits, signal } = options;
  const gunzip = createGunzip({ chunkSize: OUTPUT_CHUNK });
  let fed = 0;
  let stop = false;
  let head = Buffer.alloc(0);
  const pump = (async () => {
    for await (const chunk of source) {
      const buf = toBuffer(chunk);
      if (head.length < 3) {
        head = Buffer.concat([head, buf.subarray(0, 3)]).subarray(0, 3);
        if (!MAGIC.subarray(0, head.length).equals(head)) throw archiveInvalid(undefined, 'not a gzip file (it does not start with the gzip magic bytes)');
      }
      for (let off = 0; off < buf.length && !stop; off += PIECE) {
        const piece = buf.subarray(off, off + PIECE);
        fed += piece.length;
        if (!gunzip.write(piece)) await waitWritable(gunzip);
      }
      if (stop) return;
    }
    if (fed === 0) throw archiveInvalid(undefined, 'the archive is empty (0 bytes)');
    gunzip.end();
  })();
  pump.catch((error) => gunzip.destroy(error));
  // An abort must end a read even while the source is stalled.
  const onAbort = () => gunzip.destroy(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    for await (const out of gunzip as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      counters.uncompressedBytes += out.length;
      counters.compressedBytes = gunzip.bytesWritten;
      checkLimits(counters, limits);
      options.onProgress?.({ ...counters });
      yield out;
    }
    await pump;
    if (gunzip.bytesWritten < fed) {
      counters.compressedBytes = gunzip.bytesWritten;
      throw archiveInvalid(undefined, `trailing garbage after the gzip stream (${fed - gunzip.bytesWritten} bytes after compressed byte ${gunzip.bytesWritten})`);
    }
    counters.compressedBytes = fed;
  } catch (error) {
    throw gzipError(error, counters);
  } finally {
    stop = true;
    signal?.removeEventListener('abort', onAbort);
    gunzip.destroy();
  }
}

function checkLimits(c: GunzipCounters, limits: ArchiveLimits): void {
  if (c.uncompressedBytes > limits.maxUncompressedBytes) {
    throw archiveLimit(undefined, `the archive expands to more than ${formatBytes(limits.maxUncompressedBytes)}; reading stopped`, 'maxUncompressedBytes');
  }
  const ratio = c.uncompressedBytes / Math.max(1, c.compressedBytes);
  if (c.uncompressedBytes > limits.ratioGraceBytes && ratio > limits.maxCompressionRatio) {
    throw archiveLimit(
      undefined,
      `compression ratio ${Math.round(ratio)}:1 is above the limit of ${limits.maxCompressionRatio}:1 ` +
        `(${formatBytes(c.compressedBytes)} expanded to ${formatBytes(c.uncompressedBytes)}): a gzip bomb? Reading stopped`,
      'maxCompressionRatio',
    );
  }
}
