import type { BackupJob } from '../../../domain/backup-job';
import type { BackupJobStore } from '../../ports/backup-job-store.port';
import type { BlobStore } from '../../ports/blob-store.port';

/**
 * Removes a backup: the archive first, then its job, so a listed backup always has its file (a removal cut
 * short leaves a job whose archive is gone, which the listing reports as failed). Retention and
 * `DELETE /api/admin/backup-job/:id` both remove backups this way.
 */
export async function removeBackup(jobs: BackupJobStore, blobs: BlobStore, job: BackupJob): Promise<void> {
  if (job.storageKey) await blobs.delete(job.storageKey);
  await jobs.delete(job.id);
}
