/**
 * Runs of one-off data migrations (e.g. single-user → multi-user) in `aviary_migration_runs`, each with
 * its report as JSON, so an operator can see what a past run moved and why one failed.
 */
export type MigrationRunStatus = 'running' | 'completed' | 'failed';

export interface MigrationRun<Report = unknown> {
  readonly id: string;
  readonly kind: string;
  readonly status: MigrationRunStatus;
  /** The admin who asked for the run; null when the service started it (startup, CLI). */
  readonly adminUserId: string | null;
  readonly report: Report | null;
  readonly startedAt: Date;
  readonly completedAt: Date | null;
}

export interface MigrationRunStore {
  /** `report` is stored from the start (e.g. the run's target), so a killed run still tells what it was doing. */
  start(kind: string, adminUserId: string | null, report?: unknown): Promise<MigrationRun>;
  /** Stores the final status and report; a run already finished is left as it is. */
  finish(id: string, status: 'completed' | 'failed', report: unknown): Promise<void>;
  /**
   * Marks every run of `kind` still `running` as failed with `report` (their process died);
   * call only while holding the lock that serialises runs of that kind. Returns how many.
   */
  failRunning(kind: string, report: unknown): Promise<number>;
  /** Newest first. */
  list(kind: string, limit?: number): Promise<MigrationRun[]>;
}
