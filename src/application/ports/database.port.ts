import type { AccountStore } from './account-store.port';
import type { AttemptCounterStore } from './attempt-counter-store.port';
import type { BackupJobStore } from './backup-job-store.port';
import type { HousekeepingStore } from './housekeeping-store.port';
import type { LockStore } from './lock-store.port';
import type { MigrationRunStore } from './migration-run-store.port';
import type { RecordStore } from './record-store.port';
import type { RestoreRunStore } from './restore-run-store.port';
import type { RestoreUploadStore } from './restore-upload-store.port';

/** Everything the service keeps in its database, as provided by a database plugin. */
export interface DatabaseBackend {
  readonly kind: string;
  readonly records: RecordStore;
  readonly accounts: AccountStore;
  /** The service's own tables (never exported). */
  readonly jobs: BackupJobStore;
  readonly locks: LockStore;
  /** Login and API-key attempt counters, shared by every process on this database. */
  readonly attempts: AttemptCounterStore;
  readonly migrationRuns: MigrationRunStore;
  readonly uploads: RestoreUploadStore;
  /** Asynchronous restores: progress and outcome, answered by any replica. */
  readonly restoreRuns: RestoreRunStore;
  /** Time-based removals in Aviary's tables (admin cleanup). */
  readonly housekeeping: HousekeepingStore;
  /** Creates or migrates the schema forward and seeds missing system settings. Idempotent. */
  migrate(): Promise<{ applied: string[] }>;
  /** Throws UnavailableError when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
