import type { BackupJob } from '../../domain/backup-job';
import { isDomainError } from '../../domain/errors';
import type { BackupJobStore } from '../ports/backup-job-store.port';
import type { BlobStore } from '../ports/blob-store.port';
import type { Logger } from '../ports/system.port';

export const ARCHIVE_MISSING_MESSAGE =
  'The archive of this backup is no longer in storage (deleted by hand, or STORAGE_BACKEND changed since it was written)';

/**
 * Backup jobs as they really are: a completed job whose archive has vanished from storage is
 * recorded as failed, saying so, instead of being offered for download and answering 404.
 */
export class GetBackupJobs {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  async list(): Promise<BackupJob[]> {
    const jobs = await this.jobs.list();
    return Promise.all(jobs.map((job) => this.reconcile(job)));
  }

  async get(id: string): Promise<BackupJob | null> {
    const job = await this.jobs.get(id);
    return job ? this.reconcile(job) : null;
  }

  private async reconcile(job: BackupJob): Promise<BackupJob> {
    if (job.status !== 'completed' || !job.storageKey) return job;
    try {
      if (await this.blobs.stat(job.storageKey)) return job;
    } catch (error) {
      // Storage unreachable says nothing about the archive; show the job as it was recorded.
      if (isDomainError(error) && error.category === 'unavailable') return job;
      throw error;
    }
    this.logger.warn('backup archive missing from storage', { job_id: job.id, filename: job.filename });
    await this.jobs.markArchiveMissing(job.id, ARCHIVE_MISSING_MESSAGE);
    return (await this.jobs.get(job.id)) ?? job;
  }
}
