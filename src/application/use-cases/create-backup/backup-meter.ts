import type { BackupPhase } from '../../../domain/backup-job';

export interface BackupProgress {
  readonly phase: BackupPhase;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Row size assumed for a table not staged yet, until one has been. */
const DEFAULT_ROW_BYTES = 300;

/**
 * Progress of a backup in bytes of work: staging the table files, then writing the archive
 * (uncompressed bytes). While tables are staged their sizes are estimated from row counts; the
 * total is exact from the first archive byte on. Bytes done never go backwards.
 */
export class BackupMeter {
  private phase: BackupPhase = 'planning';
  private staged = 0;
  private stagedRows = 0;
  private encoded = 0;
  private total = 0;

  constructor(private readonly listener?: (progress: BackupProgress) => void) {}

  enter(phase: BackupPhase): void {
    this.phase = phase;
    this.report();
  }

  /** While staging: `bytes` more written, `rowsDone` rows so far and `rowsLeft` to come, `archiveBytes` known besides. */
  staging(bytes: number, rowsDone: number, rowsLeft: number, archiveBytes: number): void {
    this.staged += bytes;
    this.stagedRows = rowsDone;
    const perRow = this.stagedRows > 0 ? this.staged / this.stagedRows : DEFAULT_ROW_BYTES;
    // Every staged byte is written into the archive again, with the rest of it.
    this.total = 2 * (this.staged + rowsLeft * perRow) + archiveBytes;
    this.report();
  }

  /** The archive's exact uncompressed size, once every table is staged. */
  archiveSize(bytes: number): void {
    this.total = this.staged + bytes;
    this.report();
  }

  encodedBytes(uncompressed: number): void {
    this.encoded = uncompressed;
    this.report();
  }

  finish(): void {
    this.phase = 'done';
    this.total = this.done();
    this.report();
  }

  private done(): number {
    return this.staged + this.encoded;
  }

  private report(): void {
    const done = this.done();
    this.listener?.({ phase: this.phase, bytesDone: done, bytesTotal: Math.max(this.total, done) });
  }
}
