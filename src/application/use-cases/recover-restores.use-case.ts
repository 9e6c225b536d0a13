import type { BlobStore } from '../ports/blob-store.port';
import type { DatabaseBackend } from '../ports/database.port';
import { BACKUP_RESTORE_LOCK } from '../ports/lock-store.port';
import type { RowSpoolFactory } from '../ports/row-spool.port';
import type { Logger } from '../ports/system.port';
import { listAll } from './blob-listing';
import { settleRestore } from './restore/settle-restore';

/**
 * After a crash mid-restore: a restore whose database transaction never committed has its files
 * put back exactly as they were; one that committed only needs its scratch space removed.
 * Restores still running in a live process (another replica) are left alone.
 */
export class RecoverRestores {
  constructor(
    private readonly db: DatabaseBackend,
    private readonly blobs: BlobStore,
    private readonly spools: RowSpoolFactory,
    private readonly logger: Logger,
    private readonly isDeadHolder: (holder: string) => boolean,
  ) {}

  async execute(): Promise<{ undone: string[]; cleaned: string[] }> {
    const runIds = new Set<string>();
    for await (const blob of listAll(this.blobs, 'tmp/restore/')) runIds.add(blob.key.split('/')[2]);
    const lock = await this.db.locks.current(BACKUP_RESTORE_LOCK);
    const live = lock && !this.isDeadHolder(lock.holder) ? lock.holder.split(':restore:')[1] : undefined;
    const undone: string[] = [];
    const cleaned: string[] = [];
    for (const runId of runIds) {
      if (runId === live) continue;
      if ((await settleRestore(this.blobs, this.db.records, runId)) === 'rolled_back') {
        undone.push(runId);
        this.logger.warn('undid the file changes of a restore that did not finish', { restore_id: runId });
      } else {
        cleaned.push(runId);
      }
    }
    await this.spools.sweep(new Set(live ? [live] : []));
    return { undone, cleaned };
  }
}
