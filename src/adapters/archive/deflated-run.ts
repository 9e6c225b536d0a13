import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/** Final empty fixed-Huffman block with BFINAL set: closes a raw deflate stream whose blocks all sync-flushed. */
export const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * Bytes already deflated elsewhere (a staged table file): sync-flushed raw deflate blocks without
 * a final block and without back-references before their own start, so parallel-gzip splices them
 * into its member as they are, joining the CRC arithmetically. Anything else that reads it as a
 * byte stream gets the inflated bytes.
 */
export class DeflatedRun implements AsyncIterable<Uint8Array> {
  constructor(
    /** Uncompressed byte count. */
    readonly length: number,
    /** CRC-32 of the uncompressed bytes. */
    readonly crc: number,
    /** sha256 (hex) of the uncompressed bytes. */
    readonly sha256: string,
    /** The last (up to) 32 KiB of the uncompressed bytes: the dictionary of whatever follows. */
    readonly tail: Buffer,
    /** The deflated bytes, from the start (read at most once). */
    readonly deflated: () => AsyncIterable<Uint8Array>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const deflated = this.deflated();
    async function* closed(): AsyncGenerator<Uint8Array> {
      yield* deflated;
      yield FINAL_BLOCK;
    }
    yield* Readable.from(closed()).pipe(createInflateRaw());
  }
}

/** CRC-32 of A followed by B, from CRC(A), CRC(B) and B's length: zeros appended in GF(2), by squaring. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  // odd: the operator appending one zero bit to a (reflected) CRC register.
  let odd = new Uint32Array(32);
  let even = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1; n < 32; n++) odd[n] = 1 << (n - 1);
  square(even, odd); // two zero bits
  square(odd, even); // four
  let crc = crcA >>> 0;
  for (let left = lengthB; left > 0; left = Math.floor(left / 2)) {
    square(even, odd); // the first time: one zero byte, then 2, 4, … bytes
    if (left % 2 === 1) crc = times(even, crc);
    [odd, even] = [even, odd];
  }
  return (crc ^ crcB) >>> 0;
}

function times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i];
  return sum >>> 0;
}

function square(out: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = times(matrix, matrix[n]);
}
