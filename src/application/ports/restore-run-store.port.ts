import type { ErrorCategory } from '../../domain/errors';

export type RestoreRunStatus = 'running' | 'completed' | 'failed';

/** What a finished restore reports: counts and ids only, never row values or secrets. */
export interface RestoreRunReport {
  readonly restoreId: string;
  readonly rows: Record<string, number>;
  readonly filesRestored: number;
  readonly filesRemoved: number;
  readonly safetyBackupJobId: string | null;
  readonly warnings: readonly string[];
}

/** Why a restore failed: the domain error's fields, or a generic reason for anything else. */
export interface RestoreRunFailure {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly message: string;
}

/** An asynchronous restore as every replica sees it (`GET /api/admin/restore/:id`). */
export interface RestoreRun {
  readonly id: string;
  readonly adminUserId: string;
  readonly status: RestoreRunStatus;
  readonly phase: string;
  readonly progress: number;
  readonly failure: RestoreRunFailure | null;
  readonly report: RestoreRunReport | null;
  readonly startedAt: Date;
  readonly completedAt: Date | null;
  /** Refreshed while the restore runs; a stale one means its process died. */
  readonly heartbeatAt: Date;
}

export type RestoreRunOutcome =
  | { readonly status: 'completed'; readonly report: RestoreRunReport }
  | { readonly status: 'failed'; readonly failure: RestoreRunFailure };

/** Asynchronous restores, shared by every service process using the database. */
export interface RestoreRunStore {
  create(run: { readonly id: string; readonly adminUserId: string; readonly phase: string; readonly startedAt: Date }): Promise<void>;
  get(id: string): Promise<RestoreRun | null>;
  /** Progress and heartbeat; ignored once the run has finished. */
  reportProgress(id: string, progress: { readonly phase: string; readonly progress: number }, at: Date): Promise<void>;
  /** Records the end of a running run; ignored when it already ended (e.g. marked interrupted). */
  finish(id: string, outcome: RestoreRunOutcome, at: Date): Promise<void>;
  /** Running runs whose heartbeat is older than `heartbeatBefore` become failed with this failure; returns how many. */
  failStale(heartbeatBefore: Date, failure: RestoreRunFailure, at: Date): Promise<number>;
  /** Finished runs that ended before `cutoff` are removed; returns how many. */
  deleteFinishedBefore(cutoff: Date): Promise<number>;
}
