import type { BlobStore } from '../ports/blob-store.port';
import type { DatabaseBackend } from '../ports/database.port';
import { BACKUP_RESTORE_LOCK, type LockHolder } from '../ports/lock-store.port';
import type { RowSpoolFactory } from '../ports/row-spool.port';
import type { Logger } from '../ports/system.port';
import { LeaseKeeper } from './lease-keeper';
import { unsettledRunIds } from './restore/file-swap';
import { settleRestore } from './restore/settle-restore';

const LOCK_TTL_MS = 120_000;

export interface RecoveryResult {
  readonly undone: string[];
  readonly cleaned: string[];
  /** True when another live process held the global lock: nothing was touched; try again later. */
  readonly busy: boolean;
}

/**
 * After a crash mid-restore: a restore whose database transaction never committed has its files
 * put back exactly as they were; one that committed only needs its scratch space removed.
 * It works under the global lock (taken over from a dead holder), so two starting replicas never
 * put the same files back at once, and a restore still running elsewhere is never touched.
 */
export class RecoverRestores {
  constructor(
    private readonly db: DatabaseBackend,
    private readonly blobs: BlobStore,
    private readonly spools: RowSpoolFactory,
    private readonly logger: Logger,
    private readonly isDeadHolder: (holder: LockHolder) => boolean,
    /** This process as the lock holder while it recovers. */
    private readonly holder: LockHolder,
  ) {}

  async execute(): Promise<RecoveryResult> {
    const lease = new LeaseKeeper(this.db.locks, BACKUP_RESTORE_LOCK, this.holder, { ttlMs: LOCK_TTL_MS, isDeadHolder: this.isDeadHolder });
    if (!(await lease.acquire('restore recovery'))) return { undone: [], cleaned: [], busy: true };
    try {
      const runIds = await unsettledRunIds(this.blobs);
      const undone: string[] = [];
      const cleaned: string[] = [];
      for (const runId of runIds) {
        lease.signal.throwIfAborted();
        if ((await settleRestore(this.blobs, this.db.records, runId)) === 'rolled_back') {
          undone.push(runId);
          this.logger.warn('undid the file changes of a restore that did not finish', { restore_id: runId });
        } else {
          cleaned.push(runId);
        }
      }
      await this.spools.sweep(new Set());
      const stages = await this.db.records.lineEncoding?.sweepStages?.();
      if (stages) this.logger.info('removed scratch tables of a restore that did not finish', { tables: stages });
      return { undone, cleaned, busy: false };
    } finally {
      await lease.release();
    }
  }
}
