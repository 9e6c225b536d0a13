const EMPTY = Buffer.alloc(0);

/**
 * Pull-based reading over a stream of chunks: exact-size reads for tar headers, bounded reads for
 * bodies. Slices share the source chunks (no copy) except when an exact read spans two chunks.
 */
export class ByteCursor {
  private chunk: Buffer = EMPTY;
  private offset = 0;
  private ended = false;
  /** Bytes handed out so far (the tar offset of the next byte). */
  position = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    while (this.offset >= this.chunk.length) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.chunk = next.value;
      this.offset = 0;
    }
    return true;
  }

  /** Up to `max` bytes (at least one), or null at the end of the stream. */
  async readUpTo(max: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const end = Math.min(this.chunk.length, this.offset + max);
    const slice = this.chunk.subarray(this.offset, end);
    this.offset = end;
    this.position += slice.length;
    return slice;
  }

  /**
   * Exactly `n` bytes; null when the stream ends before the first of them; a shorter buffer when
   * it ends part-way (the caller reports the truncation).
   */
  async readExact(n: number): Promise<Buffer | null> {
    const first = await this.readUpTo(n);
    if (first === null || first.length === n) return first;
    const parts = [first];
    let have = first.length;
    while (have < n) {
      const more = await this.readUpTo(n - have);
      if (more === null) break;
      parts.push(more);
      have += more.length;
    }
    return Buffer.concat(parts, have);
  }

  /** Discards `n` bytes; returns how many could not be skipped because the stream ended. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const part = await this.readUpTo(left);
      if (part === null) break;
      left -= part.length;
    }
    return left;
  }
}
