/**
 * Named leases shared by every process on the database: the global backup/restore lock (docs/restore-and-archives.md)
 * is one. A lease expires unless renewed, so a crashed holder never blocks the others for long.
 */
export interface LockInfo {
  readonly holder: string;
  readonly purpose: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

export interface LockStore {
  /** True when this holder now holds the lock (newly, or again). */
  acquire(name: string, holder: string, ttlMs: number, purpose: string): Promise<boolean>;
  /** Extends the lease; false when the holder lost it. */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** The live lease, if any. */
  current(name: string): Promise<LockInfo | null>;
}

export const BACKUP_RESTORE_LOCK = 'backup-restore';
