import { backupFilename } from '../../domain/archive/archive-format';
import { BackupJob, progressPercent } from '../../domain/backup-job';
import { DomainError, isDomainError } from '../../domain/errors';
import { StorageKeys } from '../../domain/storage-key';
import type { BackupJobStore } from '../ports/backup-job-store.port';
import type { BlobStore } from '../ports/blob-store.port';
import type { Clock, Logger } from '../ports/system.port';
import type { BackupProgress, CreateBackup } from './create-backup.use-case';
import type { ValidateArchive } from './validate-archive.use-case';

export interface RetentionPolicy {
  /** Days a finished backup is kept; undefined keeps it until the count limit removes it. */
  readonly retentionDays?: number;
}

/** Where a job's archive is written until it is complete; never under backups/. */
export const partialBackupKey = (jobId: string) => `tmp/backups/${jobId}.tar.gz`;

const HEARTBEAT_MS = 5_000;
const PROGRESS_EVERY_MS = 1_000;

/**
 * Runs one claimed job: the archive goes to a temporary key, is moved to its final name
 * (`backups/aviary_backup_…tar.gz`, unique) only when complete, and the job row follows.
 * A failure leaves no partial file behind and a message that says what happened.
 */
export class RunBackupJob {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly blobs: BlobStore,
    private readonly createBackup: CreateBackup,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly policy: RetentionPolicy,
    /** Re-reads the stored archive (without a database: it only checks the archive itself). */
    private readonly validate: ValidateArchive,
  ) {}

  async execute(job: BackupJob, workerId: string, signal?: AbortSignal): Promise<BackupJob | null> {
    const tempKey = partialBackupKey(job.id);
    let last: BackupProgress = { phase: 'planning', bytesDone: 0, bytesTotal: 0 };
    let lastSent = 0;
    const send = () => {
      lastSent = this.clock.now().getTime();
      const progress = progressPercent(last.bytesDone, last.bytesTotal, false);
      void this.jobs.reportProgress(job.id, workerId, { ...last, progress }).catch((error) =>
        this.logger.warn('could not record backup progress', { job_id: job.id, error }),
      );
    };
    this.logger.info('backup started', { job_id: job.id, worker_id: workerId });
    const heartbeat = setInterval(send, HEARTBEAT_MS);
    heartbeat.unref?.();
    try {
      const result = await this.createBackup.execute({
        options: job.options,
        signal,
        sink: async (archive) => {
          await this.blobs.put(tempKey, archive, { signal });
        },
        onProgress: (p) => {
          last = p;
          if (this.clock.now().getTime() - lastSent >= PROGRESS_EVERY_MS) send();
        },
      });
      const stored = await this.blobs.stat(tempKey);
      if (!stored) throw new Error('the finished archive disappeared from storage before it could be named');
      await this.verify(job.id, tempKey, signal);
      const verifiedAt = this.clock.now();
      const { filename, key } = await this.finalName();
      await this.blobs.move(tempKey, key);
      const now = this.clock.now();
      const expiresAt = this.policy.retentionDays ? new Date(now.getTime() + this.policy.retentionDays * 86_400_000) : null;
      const ok = await this.jobs.complete(job.id, workerId, { storageKey: key, filename, fileSize: stored.size, warnings: result.warnings, expiresAt, verifiedAt });
      if (!ok) {
        await this.blobs.delete(key);
        throw new Error('the job was taken over or cancelled while it ran');
      }
      this.logger.info('backup completed', { job_id: job.id, filename, bytes: stored.size, documents: result.documents });
      return this.jobs.get(job.id);
    } catch (error) {
      const message = describe(error);
      this.logger.error('backup failed', { job_id: job.id, error: message });
      await this.jobs.fail(job.id, message).catch(() => undefined);
      await this.blobs.delete(tempKey).catch(() => undefined);
      return this.jobs.get(job.id);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Reads the stored archive back as a restore would, checking every entry against its checksum.
   * A backup that cannot be restored must never be reported as completed (nor count for retention).
   */
  private async verify(jobId: string, key: string, signal?: AbortSignal): Promise<void> {
    const analysis = await this.validate.execute({ source: await this.blobs.get(key, { signal }), signal });
    const problems = [...analysis.errors];
    if (!analysis.checksums.present) problems.push('checksums.sha256 is missing');
    if (problems.length === 0) return;
    this.logger.error('backup verification failed: the stored archive does not read back intact', { job_id: jobId, problems: problems.slice(0, 5) });
    throw new DomainError('integrity', 'backup_verification_failed',
      `Backup verification failed, the archive was discarded: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  }

  /** UTC name of now; `_2`, `_3`… when taken (two jobs finishing in the same second). */
  private async finalName(): Promise<{ filename: string; key: string }> {
    const now = this.clock.now();
    for (let attempt = 0; attempt < 1000; attempt++) {
      const filename = backupFilename(now, attempt);
      const key = StorageKeys.backup(filename);
      if (!(await this.blobs.stat(key))) return { filename, key };
    }
    throw new Error('no free backup filename for this second');
  }
}

function describe(error: unknown): string {
  if (isDomainError(error)) return error.message;
  if (error instanceof Error && error.name === 'AbortError') return 'The backup was cancelled';
  return `Backup failed: ${error instanceof Error ? error.message : String(error)}`;
}
