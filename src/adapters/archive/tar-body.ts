import { archiveInvalid } from './archive-error';
import type { ByteCursor } from './byte-cursor';

/** The data of one tar entry: exactly `size` bytes from the cursor, then nothing more. */
export class TarBody {
  private left: number;

  constructor(
    private readonly cursor: ByteCursor,
    readonly name: string,
    readonly size: number,
  ) {
    this.left = size;
  }

  get remaining(): number {
    return this.left;
  }

  /** The next slice of the body, or null once all of it has been read. */
  async read(): Promise<Buffer | null> {
    if (this.left === 0) return null;
    const slice = await this.cursor.readUpTo(this.left);
    if (slice === null) {
      throw archiveInvalid(this.name, `truncated: the archive ends ${this.left} bytes before the end of this entry`);
    }
    this.left -= slice.length;
    return slice;
  }
}
