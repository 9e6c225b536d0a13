import { ARCHIVE_EXTENSION } from '../../domain/archive/archive-format';
import { assertValidKey } from '../../domain/storage-key';
import type { BackupAnalysis } from '../../domain/archive/backup-analysis';

/**
 * Backup archives uploaded for restore (README, HTTP API), one row each in `aviary_restore_uploads`; the bytes
 * live in the BlobStore under `tmp/uploads/{id}.tar.gz`, so every replica can read them.
 *
 * Lifecycle: `receiving` (row written before the first byte, so a blob never exists without a row)
 * → `uploaded` → `analyzing` → `analyzed` (the stored analysis says valid or not) or `failed` (the
 * analysis could not finish: I/O error, cancel, crash). An analyzed upload can be analyzed again.
 */
export type RestoreUploadStatus = 'receiving' | 'uploaded' | 'analyzing' | 'analyzed' | 'failed';

export const RESTORE_UPLOADS_PREFIX = 'tmp/uploads/';
const KEY_PATTERN = /^tmp\/uploads\/([0-9a-f-]{36})\.tar\.gz$/;

export function restoreUploadKey(id: string): string {
  return assertValidKey(`${RESTORE_UPLOADS_PREFIX}${id}${ARCHIVE_EXTENSION}`);
}

/** The upload id a key under RESTORE_UPLOADS_PREFIX belongs to, or null for a key we never write. */
export function restoreUploadIdOfKey(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

export interface RestoreUpload {
  readonly id: string;
  /** Uploads belong to the admin who made them; nobody else sees them. */
  readonly adminUserId: string;
  /** The client's file name, sanitised; for display only. */
  readonly filename: string;
  readonly storageKey: string;
  readonly fileSize: number;
  readonly status: RestoreUploadStatus;
  /** The last complete analysis (restore reuses it), or null. */
  readonly analysis: BackupAnalysis | null;
  /** 0–100 of the analysis running or last run. */
  readonly progress: number;
  readonly message: string | null;
  readonly error: string | null;
  readonly analysisStartedAt: Date | null;
  readonly analysisCompletedAt: Date | null;
  /** Refreshed while an analysis runs; a stale one means its process died. */
  readonly heartbeatAt: Date | null;
  readonly expiresAt: Date;
  readonly createdAt: Date;
}

export interface NewRestoreUpload {
  readonly id: string;
  readonly adminUserId: string;
  readonly filename: string;
  readonly storageKey: string;
  readonly expiresAt: Date;
}

/** Fields an update may change; absent ones are kept. */
export type RestoreUploadChanges = Partial<
  Pick<RestoreUpload, 'fileSize' | 'status' | 'analysis' | 'progress' | 'message' | 'error' | 'analysisStartedAt' | 'analysisCompletedAt' | 'heartbeatAt' | 'expiresAt'>
>;

export interface RestoreUploadStore {
  create(upload: NewRestoreUpload): Promise<RestoreUpload>;
  get(id: string): Promise<RestoreUpload | null>;
  /** The admin's uploads that finished arriving (not `receiving`), newest first. */
  listByAdmin(adminUserId: string): Promise<RestoreUpload[]>;
  /**
   * Applies `changes`; with `onlyIfStatus`, only while the row has one of those statuses.
   * False when no row changed (deleted meanwhile, or another status).
   */
  update(id: string, changes: RestoreUploadChanges, onlyIfStatus?: readonly RestoreUploadStatus[]): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Every upload (any status, any admin) whose expires_at is before `now`. */
  listExpired(now: Date): Promise<RestoreUpload[]>;
  /** Uploads still `analyzing` whose heartbeat is older than `before` (their process died). */
  listStaleAnalyses(before: Date): Promise<RestoreUpload[]>;
  /** Which of `ids` have a row. */
  existing(ids: readonly string[]): Promise<Set<string>>;
}
