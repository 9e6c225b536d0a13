import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';
import { crc32Combine, DeflatedRun, FINAL_BLOCK } from './deflated-run';
import { Block, dictionaryAt, rangeOf, segmentsOf, storedBlocks } from './stored-deflate';

/**
 * gzip in one member, compressed on several threads (the pigz method): the input is cut into
 * blocks, each block is deflated on the libuv pool with the previous 32 KiB as its dictionary and
 * ends on a sync flush, so the raw deflate pieces join into one valid stream. Every gzip reader
 * (GNU gzip/tar, Go's compress/gzip, Python's streaming tarfile, Node) reads the result.
 *
 * Runs that look incompressible (PDFs, images: most of a backup) are written as deflate *stored*
 * blocks instead, judged per input chunk in 64 KiB windows (segmentsOf), so a tar header between
 * two PDFs costs a deflate of that window only: the input chunks go out as they came, behind
 * 5-byte headers. That skips zlib's
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

function compressBlock(block: Buffer, dictionary: Buffer | undefined, level: number): Promise<Buffer> {
  const options: ZlibOptions = {
    level,
    finishFlush: constants.Z_SYNC_FLUSH,
    // Output in one piece for anything that deflates to a quarter or less, like text (a small chunkSize
    // makes zlib hop back to the main thread every 16 KiB); no bigger, since the output keeps the whole
    // buffer alive until it is collected.
    chunkSize: Math.ceil(block.length / 4) + 64 * 1024,
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

async function* blocksOf(source: AsyncIterable<Uint8Array | DeflatedRun>, blockSize: number): AsyncGenerator<Block | DeflatedRun> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    if (chunk instanceof DeflatedRun) {
      if (length > 0) yield { parts, length };
      parts = [];
      length = 0;
      yield chunk;
      continue;
    }
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (length === 0 && buf.length >= blockSize / 2 && buf.length <= blockSize * 2) {
      // A chunk about a block's size (a table file's text) is a block as it is: no copy to join parts.
      yield { parts: [buf], length: buf.length };
      continue;
    }
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

/**
 * One block as deflate blocks: its random-looking runs stored, the rest deflated on the libuv pool
 * with the 32 KiB before each run as its dictionary. Every piece ends byte-aligned (a stored block
 * or a sync flush), so the pieces join in order.
 */
async function encodeBlock(block: Block, previous: Block | undefined, level: number, store: boolean): Promise<Buffer[]> {
  const segments = store ? segmentsOf(block) : [{ start: 0, end: block.length, stored: false }];
  const pieces = await Promise.all(segments.map((s) =>
    s.stored ? storedBlocks(block, s.start, s.end) : compressBlock(rangeOf(block, s.start, s.end), dictionaryAt(previous, block, s.start), level).then((out) => [out])));
  return pieces.flat();
}

/** Running totals of a deflate stream: CRC-32 and length of its input, bytes written out, its last input block. */
export interface DeflateTally {
  crc: number;
  bytesIn: number;
  bytesOut: number;
  previous?: Block;
}

export function newTally(): DeflateTally {
  return { crc: 0, bytesIn: 0, bytesOut: 0 };
}

/**
 * The source as raw deflate, every block sync-flushed and none final: the body of a gzip member,
 * or a run to splice into one later. Deflated runs in the source are passed on as they are.
 */
export async function* deflateBlocks(
  source: AsyncIterable<Uint8Array | DeflatedRun>, tally: DeflateTally, options: ParallelGzipOptions = {},
): AsyncGenerator<Uint8Array> {
  const blockSize = options.blockSize ?? 1024 * 1024;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const level = options.level ?? 6;
  const store = options.storeIncompressible ?? true;
  const inFlight: Promise<Buffer[]>[] = [];
  const emit = async function* (): AsyncGenerator<Buffer> {
    for (const out of await inFlight.shift()!) {
      tally.bytesOut += out.length;
      yield out;
    }
  };
  try {
    for await (const block of blocksOf(source, blockSize)) {
      if (block instanceof DeflatedRun) {
        while (inFlight.length > 0) yield* emit();
        for await (const out of block.deflated()) {
          tally.bytesOut += out.byteLength;
          yield out;
        }
        tally.crc = crc32Combine(tally.crc, block.crc, block.length);
        tally.bytesIn += block.length;
        if (block.length > 0) tally.previous = { parts: [block.tail], length: block.tail.length };
        options.onProgress?.(tally.bytesIn, tally.bytesOut);
        continue;
      }
      for (const part of block.parts) tally.crc = crc32(part, tally.crc);
      tally.bytesIn += block.length;
      inFlight.push(encodeBlock(block, tally.previous, level, store && level > 0));
      tally.previous = block;
      if (inFlight.length >= concurrency) {
        yield* emit();
        options.onProgress?.(tally.bytesIn, tally.bytesOut);
      }
    }
    while (inFlight.length > 0) yield* emit();
  } finally {
    // On abort, let pending compressions settle so no rejection goes unhandled.
    for (const pending of inFlight.splice(0)) pending.catch(() => undefined);
  }
}

export async function* parallelGzip(source: AsyncIterable<Uint8Array | DeflatedRun>, options: ParallelGzipOptions = {}): AsyncGenerator<Buffer> {
  const tally = newTally();
  yield gzipHeader();
  tally.bytesOut += 10;
  yield* deflateBlocks(source, tally, options) as AsyncGenerator<Buffer>;
  yield FINAL_BLOCK;
  const trailer = gzipTrailer(tally.crc, tally.bytesIn);
  yield trailer;
  tally.bytesOut += FINAL_BLOCK.length + trailer.length;
  options.onProgress?.(tally.bytesIn, tally.bytesOut);
}
