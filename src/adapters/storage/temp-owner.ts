import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { THIS_PROCESS } from '../system/process-liveness';
import { mkdirPrivate, PRIVATE_FILE_MODE } from '../system/private-files';

export const PART = '.part';
export const OWNER = '.owner.json';

/**
 * The writer a temp file name belongs to: `<writer>.<n>.part` is written by the process named in
 * `<writer>.owner.json`. A version before this one wrote `<id>.part` beside `<id>.owner.json`, which
 * reads the same way; older ones had no record (and no dot in the name).
 */
export function writerOfPart(name: string): string {
  const stem = name.slice(0, -PART.length);
  const dot = stem.indexOf('.');
  return dot < 0 ? stem : stem.slice(0, dot);
}

/**
 * The owner record of one store's temp files. `<writer>.owner.json` (this process, as a record)
 * exists whenever a part of the writer may exist: it is written before the first part of a run of
 * overlapping puts and removed once the last of them has renamed or removed its part, so nothing
 * is left once the puts are done. A restore stages thousands of documents whose puts overlap (one
 * finishes while the next starts): one record for all of them instead of one written, closed and
 * unlinked per document ahead of its first byte.
 */
export class TempOwner {
  private readonly writer = randomBytes(12).toString('hex');
  private readonly record: string;
  private parts = 0;
  private users = 0;
  private written: Promise<void> | null = null;
  private removed: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.record = join(dir, this.writer + OWNER);
  }

  /** A fresh part name of this writer (the file is not created). */
  nextPart(): string {
    return join(this.dir, `${this.writer}.${++this.parts}${PART}`);
  }

  /**
   * Resolves once the record is on disk; every call, failed ones included, is paired with one
   * `release()` after the caller's part is gone (renamed into place or removed).
   */
  async acquire(): Promise<void> {
    this.users++;
    this.written ??= this.removed.then(() => this.write());
    await this.written;
  }

  async release(): Promise<void> {
    if (--this.users > 0) return;
    const written = this.written ?? Promise.resolve();
    this.written = null;
    this.removed = written.then(() => undefined, () => undefined).then(() => rm(this.record, { force: true })).catch(() => undefined);
    await this.removed;
  }

  /** Writes the record again: the temp folder was found missing (removed by hand) while parts are written. */
  rewrite(): Promise<void> {
    return this.write();
  }

  private async write(): Promise<void> {
    const text = JSON.stringify(THIS_PROCESS);
    try {
      await writeFile(this.record, text, { mode: PRIVATE_FILE_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdirPrivate(this.dir);
      await writeFile(this.record, text, { mode: PRIVATE_FILE_MODE });
    }
  }
}
