/**
 * Deflate *stored* blocks for data that would not compress, and the block bookkeeping
 * parallel-gzip needs around them. A stored block is its input verbatim behind a 5-byte header,
 * so the input chunks are passed on as they are: no copy, no zlib state, no output buffer.
 */

/** A block as the chunks it arrived in: copied only if it has to be compressed. */
export interface Block {
  readonly parts: readonly Buffer[];
  readonly length: number;
}

const WINDOW = 32 * 1024;
const MAX_STORED = 65535;

function storedHeader(len: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt16LE(len, 1);
  header.writeUInt16LE(~len & 0xffff, 3);
  return header;
}

// Shared by every full-size stored block; never written to after this.
const FULL_STORED_HEADER = storedHeader(MAX_STORED);

/**
 * The block as deflate stored blocks (BFINAL=0, BTYPE=00, each ≤ 65535 bytes). The stream is
 * byte-aligned after every sync flush, so each header is one zero byte, then LEN and NLEN.
 */
export function storedBlocks(block: Block): Buffer[] {
  const out: Buffer[] = [];
  let part = 0;
  let offset = 0;
  for (let left = block.length; left > 0; ) {
    const len = Math.min(MAX_STORED, left);
    out.push(len === MAX_STORED ? FULL_STORED_HEADER : storedHeader(len));
    for (let need = len; need > 0; ) {
      const take = Math.min(need, block.parts[part].length - offset);
      out.push(block.parts[part].subarray(offset, offset + take));
      need -= take;
      offset += take;
      if (offset === block.parts[part].length) {
        part++;
        offset = 0;
      }
    }
    left -= len;
  }
  return out;
}

const SAMPLES = 8;
const SAMPLE_SIZE = 4096;
// Random bytes measure ≈ 7.95 bits/byte over 4 KiB; text 4–5, PDF object syntax 5–6.
const INCOMPRESSIBLE_BITS = 7.85;
const histogram = new Uint32Array(256);

/** True when every one of several windows spread over the block has near-random byte entropy. */
export function looksIncompressible(block: Block): boolean {
  if (block.length < SAMPLES * SAMPLE_SIZE * 2) return false;
  const stride = Math.floor((block.length - SAMPLE_SIZE) / (SAMPLES - 1));
  for (let s = 0; s < SAMPLES; s++) {
    histogram.fill(0);
    countBytes(block, s * stride, SAMPLE_SIZE);
    let bits = 0;
    for (const n of histogram) if (n > 0) bits -= (n / SAMPLE_SIZE) * Math.log2(n / SAMPLE_SIZE);
    if (bits < INCOMPRESSIBLE_BITS) return false;
  }
  return true;
}

function countBytes(block: Block, start: number, length: number): void {
  let skip = start;
  let need = length;
  for (const part of block.parts) {
    if (skip >= part.length) {
      skip -= part.length;
      continue;
    }
    const end = Math.min(part.length, skip + need);
    for (let i = skip; i < end; i++) histogram[part[i]]++;
    need -= end - skip;
    skip = 0;
    if (need === 0) return;
  }
}

/** The last 32 KiB before the next block: the dictionary a compressed block starts from. */
export function tailOf(block: Block): Buffer {
  const size = Math.min(WINDOW, block.length);
  const tail = Buffer.allocUnsafe(size);
  let at = size;
  for (let i = block.parts.length - 1; i >= 0 && at > 0; i--) {
    const part = block.parts[i];
    const take = Math.min(at, part.length);
    part.copy(tail, at - take, part.length - take);
    at -= take;
  }
  return tail;
}
