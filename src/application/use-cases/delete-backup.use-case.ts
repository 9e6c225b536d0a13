import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors';
import { isUuid } from '../../domain/schema/values';
import type { BackupJobStore } from '../ports/backup-job-store.port';
import type { BlobStore } from '../ports/blob-store.port';
import type { Logger } from '../ports/system.port';
import { removeBackup } from './backups/remove-backup';

/**
 * `DELETE /api/admin/backup-job/:id`: removes a backup the way retention does (archive, then job). A running
 * backup is refused: its worker would write an archive nobody lists.
 */
export class DeleteBackup {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  async execute(input: { readonly jobId: string }): Promise<void> {
    if (!isUuid(input.jobId)) throw new InvalidInputError('invalid_job_id', 'Invalid job ID');
    const job = await this.jobs.get(input.jobId.toLowerCase());
    if (!job) throw new NotFoundError('backup_job_not_found', 'Backup job not found');
    if (job.status === 'running') {
      throw new ConflictError('backup_running', 'This backup is running; wait for it to finish, then delete it');
    }
    await removeBackup(this.jobs, this.blobs, job);
    this.logger.info('backup deleted', { job_id: job.id, filename: job.filename });
  }
}
