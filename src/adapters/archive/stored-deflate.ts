/**
 * Deflate *stored* blocks for data that would not compress, and the block bookkeeping
 * parallel-gzip needs around them. A stored block is its input verbatim behind a 5-byte header,
 * so the input chunks are passed on as they are: no copy, no zlib state, no output buffer.
 * Each window of a block is judged on its own (segmentsOf), so the few compressible bytes amid
 * random ones (tar headers, a short text file) do not send a whole block through zlib.
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
 * Bytes [start, end) of the block as deflate stored blocks (BFINAL=0, BTYPE=00, each ≤ 65535
 * bytes), as views of its parts behind shared headers. The stream is byte-aligned after every
 * sync flush, so each header is one zero byte, then LEN and NLEN. Copying them into one buffer
 * instead cost more (a memory copy and fresh pages per block) than the small objects it saved.
 */
export function storedBlocks(block: Block, start = 0, end = block.length): Buffer[] {
  const out: Buffer[] = [];
  let part = 0;
  let offset = start;
  while (part < block.parts.length && offset >= block.parts[part].length) offset -= block.parts[part++].length;
  for (let left = end - start; left > 0; ) {
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

const SAMPLE_SIZE = 4096;
/**
 * Bytes judged (stored or deflated) as one: a tar header or a short text file inside a block of
 * random bytes then costs deflating this much, not the whole block (random bytes deflate at a few
 * tens of MB/s, most of a backup's CPU time when whole blocks were sent to zlib for them).
 */
export const JUDGED_WINDOW = 64 * 1024;
// Random bytes measure ≈ 7.95 bits/byte over 4 KiB; text 4–5, PDF object syntax 5–6.
const INCOMPRESSIBLE_BITS = 7.85;
const histogram = new Uint32Array(256);

/** Part of a block, stored or to be deflated. */
export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly stored: boolean;
}

/**
 * The block cut into runs judged alike. Each part (a chunk as the tar stream produced it: a header,
 * a piece of one file's body, padding) is judged on its own, in windows of JUDGED_WINDOW, by one
 * sample from the middle of each window, so a judgement never mixes two files' bytes; a short
 * last window goes with the one before it, and a part too short to sample is deflated (a header).
 * Consecutive windows of one kind form one run.
 */
export function segmentsOf(block: Block, window = JUDGED_WINDOW): Segment[] {
  const out: { start: number; end: number; stored: boolean }[] = [];
  const add = (start: number, end: number, stored: boolean) => {
    const last = out[out.length - 1];
    if (last && last.stored === stored) last.end = end;
    else out.push({ start, end, stored });
  };
  let offset = 0;
  for (const part of block.parts) {
    for (let start = 0; start < part.length; ) {
      const rest = part.length - start;
      const length = rest < window + 2 * SAMPLE_SIZE ? rest : window;
      const stored = length >= 2 * SAMPLE_SIZE && sampleLooksRandom(part, start + ((length - SAMPLE_SIZE) >> 1));
      add(offset + start, offset + start + length, stored);
      start += length;
    }
    offset += part.length;
  }
  return out;
}

function sampleLooksRandom(part: Buffer, at: number): boolean {
  histogram.fill(0);
  for (let i = at; i < at + SAMPLE_SIZE; i++) histogram[part[i]]++;
  let bits = 0;
  for (const n of histogram) if (n > 0) bits -= (n / SAMPLE_SIZE) * Math.log2(n / SAMPLE_SIZE);
  return bits >= INCOMPRESSIBLE_BITS;
}

/** Bytes [start, end) of the block: a view when one part holds them, else a copy. */
export function rangeOf(block: Block, start: number, end: number): Buffer {
  let skip = start;
  for (const part of block.parts) {
    if (skip >= part.length) {
      skip -= part.length;
      continue;
    }
    if (skip + (end - start) <= part.length) return part.subarray(skip, skip + (end - start));
    break;
  }
  const out = Buffer.allocUnsafeSlow(end - start);
  copyRange(block, start, end, out, 0);
  return out;
}

/** Copies bytes [start, end) of the block to `target` at `at`; returns the offset after them. */
function copyRange(block: Block, start: number, end: number, target: Buffer, at: number): number {
  let skip = start;
  let need = end - start;
  for (const part of block.parts) {
    if (need === 0) break;
    if (skip >= part.length) {
      skip -= part.length;
      continue;
    }
    const take = Math.min(need, part.length - skip);
    part.copy(target, at, skip, skip + take);
    at += take;
    need -= take;
    skip = 0;
  }
  return at;
}

/** The 32 KiB before `offset` in the block, reaching back into the previous block: a segment's dictionary. */
export function dictionaryAt(previous: Block | undefined, block: Block, offset: number): Buffer | undefined {
  if (offset >= WINDOW) return rangeOf(block, offset - WINDOW, offset);
  const before = previous ? tailOf(previous) : Buffer.alloc(0);
  if (offset === 0) return before.length > 0 ? before : undefined;
  const fromPrevious = before.subarray(Math.max(0, before.length - (WINDOW - offset)));
  return Buffer.concat([fromPrevious, rangeOf(block, 0, offset)]);
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
