/**
 * Named leases shared by every process on the database: the global backup/restore lock (docs/restore-and-archives.md)
 * is one. A lease expires unless renewed, so a crashed holder never blocks the others for long.
 */

/** One start of the service: host, pid and a nonce drawn at start (a restarted container reuses pid 1). */
export interface ProcessRef {
  readonly host: string;
  readonly pid: number;
  readonly nonce: string;
}

/**
 * Who holds a lease: the process, and the work it does there. A record, compared field by field;
 * nothing encodes it into text that another module parses back.
 */
export interface LockHolder {
  readonly process: ProcessRef;
  /** The work: `backup`, `restore`, `recover-restores`, `single-to-multi`, `scheduler`, `cli`. */
  readonly role: string;
  /** The run the work belongs to (a restore's id), when it has one. */
  readonly runId?: string;
}

export interface LockInfo {
  /** Undefined for a lease written by an older version, which kept the holder as text only. */
  readonly holder?: LockHolder;
  readonly purpose: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

export interface LockStore {
  /** True when this holder now holds the lock (newly, or again). */
  acquire(name: string, holder: LockHolder, ttlMs: number, purpose: string): Promise<boolean>;
  /** Extends the lease; false when the holder lost it. */
  renew(name: string, holder: LockHolder, ttlMs: number): Promise<boolean>;
  release(name: string, holder: LockHolder): Promise<void>;
  /** The live lease, if any. */
  current(name: string): Promise<LockInfo | null>;
}

export const BACKUP_RESTORE_LOCK = 'backup-restore';

/** True when both name the same holder (every field equal). */
export function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return (
    a.role === b.role &&
    (a.runId ?? null) === (b.runId ?? null) &&
    a.process.host === b.process.host &&
    a.process.pid === b.process.pid &&
    a.process.nonce === b.process.nonce
  );
}
