import { InvalidInputError } from './errors';
import { AVIARY_TABLE_NAMES } from './schema/aviary-schema';

/** A backup job's life: pending → running → completed | failed (README, HTTP API BackupJob). */
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed';

export type BackupPhase = 'queued' | 'planning' | 'database' | 'documents' | 'finalizing' | 'done';

export type BackupTrigger = 'manual' | 'scheduled' | 'safety' | 'cli';

export interface BackupOptions {
  readonly includeFiles: boolean;
  readonly includeConfigs: boolean;
  /** Empty: every user. */
  readonly userIds: readonly string[];
  /** Empty: all seven tables. */
  readonly tables: readonly string[];
}

export interface BackupJob {
  readonly id: string;
  readonly adminUserId: string | null;
  readonly status: JobStatus;
  readonly phase: BackupPhase;
  readonly trigger: BackupTrigger;
  readonly progress: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly options: BackupOptions;
  /** Storage key of the finished archive. */
  readonly storageKey: string | null;
  readonly filename: string | null;
  readonly fileSize: number | null;
  readonly errorMessage: string | null;
  readonly warnings: readonly string[];
  readonly workerId: string | null;
  readonly heartbeatAt: Date | null;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly expiresAt: Date | null;
  /** The archive was re-read after it was stored and every checksum matched; null: not verified. */
  readonly verifiedAt: Date | null;
  readonly createdAt: Date;
}

/** Progress that moves with the work: bytes of documents and rows of tables against known totals. */
export function progressPercent(done: number, total: number, finished: boolean): number {
  if (finished) return 100;
  if (total <= 0) return 0;
  return Math.min(99, Math.floor((done / total) * 100));
}

/** The table selection of a backup: every name must be an Aviary table (checked when the job is asked for, not when it runs). */
export function assertKnownTables(names: readonly string[]): void {
  const unknown = names.filter((n) => !(AVIARY_TABLE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new InvalidInputError('invalid_tables', `Unknown table(s): ${unknown.join(', ')} (known: ${AVIARY_TABLE_NAMES.join(', ')})`);
  }
}
