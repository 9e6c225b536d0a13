import type { BackupJobStore } from '../ports/backup-job-store.port';
import type { BlobStore } from '../ports/blob-store.port';
import type { Clock, Logger } from '../ports/system.port';
import { removeBackup } from './backups/remove-backup';

export interface RetentionSettings {
  /** Completed backups kept (newest first); 0 keeps all. */
  readonly keepCount: number;
}

/**
 * Enforces BACKUP_RETENTION_COUNT and expiry (`expires_at`, set from BACKUP_RETENTION_DAYS):
 * the archive is deleted first, then its job, so a listed backup always has its file.
 * Safety backups taken before a restore count like any other. The newest verified backup is
 * always kept, even past the count or its expiry.
 */
export class ApplyRetention {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: RetentionSettings,
  ) {}

  async execute(): Promise<{ deleted: string[] }> {
    const now = this.clock.now().getTime();
    const completed = (await this.jobs.list()).filter((j) => j.status === 'completed');
    // The newest backup known to read back intact survives every rule: retention must never leave only unverified ones.
    const lastGood = completed.find((j) => j.verifiedAt !== null);
    const doomed = completed.filter(
      (job, index) =>
        job !== lastGood &&
        ((job.expiresAt !== null && job.expiresAt.getTime() <= now) ||
          (this.settings.keepCount > 0 && index >= this.settings.keepCount)),
    );
    for (const job of doomed) {
      await removeBackup(this.jobs, this.blobs, job);
      this.logger.info('retention removed a backup', { job_id: job.id, filename: job.filename });
    }
    return { deleted: doomed.map((j) => j.id) };
  }
}
