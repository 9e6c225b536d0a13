import { constants, crc32, deflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { Block, looksIncompressible, storedBlocks, tailOf } from './stored-deflate';

/**
 * gzip in one member, compressed on several threads (the pigz method): the input is cut into
 * blocks, each block is deflated on the libuv pool with the previous 32 KiB as its dictionary and
 * ends on a sync flush, so the raw deflate pieces join into one valid stream. Every gzip reader
 * (GNU gzip/tar, Go's compress/gzip, Python's streaming tarfile, Node) reads the result.
 *
 * Blocks that look incompressible (PDFs, images: most of a backup) are written as deflate *stored*
 * blocks instead: the input chunks go out as they came, behind 5-byte headers. That skips zlib's
 * CPU time, and, as important, its 1 MiB input copy and 1 MiB output buffer per block: that
 * garbage, freed only when V8 gets round to a GC, was what drove peak RSS (see bench/).
 */
export interface ParallelGzipOptions {
  /** Uncompressed bytes per block. */
  readonly blockSize?: number;
  /** Blocks being compressed at once; bounds memory to about 2 × concurrency × blockSize. */
  readonly concurrency?: number;
  readonly level?: number;
  /** Store blocks whose sampled byte entropy says deflate would gain (almost) nothing. Default true. */
  readonly storeIncompressible?: boolean;
  /** Called with uncompressed and compressed byte counts after each block is written out. */
  readonly onProgress?: (bytesIn: number, bytesOut: number) => void;
}

// Final empty fixed-Huffman block with BFINAL set: closes a stream whose blocks all sync-flushed.
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));

function compressBlock(block: Buffer, dictionary: Buffer | undefined, level: number): Promise<Buffer> {
  const options: ZlibOptions = {
    level,
    finishFlush: constants.Z_SYNC_FLUSH,
    // Output in one piece: a small chunkSize makes zlib hop back to the main thread every 16 KiB.
    chunkSize: block.length + 64 * 1024,
    ...(dictionary ? { dictionary } : {}),
  };
  return new Promise((resolve, reject) => deflateRaw(block, options, (err, out) => (err ? reject(err) : resolve(out))));
}

function gzipHeader(): Buffer {
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unix
  return Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]);
}

function gzipTrailer(crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return trailer;
}

async function* blocksOf(source: AsyncIterable<Uint8Array>, blockSize: number): AsyncGenerator<Block> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (buf.length > 0) {
      const take = Math.min(blockSize - length, buf.length);
      parts.push(buf.subarray(0, take));
      length += take;
      buf = buf.subarray(take);
      if (length === blockSize) {
        yield { parts, length };
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield { parts, length };
}

export async function* parallelGzip(source: AsyncIterable<Uint8Array>, options: ParallelGzipOptions = {}): AsyncGenerator<Buffer> {
  const blockSize = options.blockSize ?? 1024 * 1024;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const level = options.level ?? 6;
  const store = options.storeIncompressible ?? true;
  const inFlight: Promise<Buffer[]>[] = [];
  let crc = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let previous: Block | undefined;

  yield gzipHeader();
  bytesOut += 10;
  const emit = async function* (): AsyncGenerator<Buffer> {
    for (const out of await inFlight.shift()!) {
      bytesOut += out.length;
      yield out;
    }
  };
  try {
    for await (const block of blocksOf(source, blockSize)) {
      for (const part of block.parts) crc = crc32(part, crc);
      bytesIn += block.length;
      if (store && level > 0 && looksIncompressible(block)) {
        inFlight.push(Promise.resolve(storedBlocks(block)));
      } else {
        const dictionary = previous ? tailOf(previous) : undefined;
        inFlight.push(compressBlock(Buffer.concat(block.parts, block.length), dictionary, level).then((out) => [out]));
      }
      previous = block;
      if (inFlight.length >= concurrency) {
        yield* emit();
        options.onProgress?.(bytesIn, bytesOut);
      }
    }
    while (inFlight.length > 0) yield* emit();
  } finally {
    // On abort, let pending compressions settle so no rejection goes unhandled.
    for (const pending of inFlight.splice(0)) pending.catch(() => undefined);
  }
  yield FINAL_BLOCK;
  const trailer = gzipTrailer(crc, bytesIn);
  yield trailer;
  bytesOut += FINAL_BLOCK.length + trailer.length;
  options.onProgress?.(bytesIn, bytesOut);
}
