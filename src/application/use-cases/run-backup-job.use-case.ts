import { ARCHIVE_EXTENSION, backupFilename } from '../../domain/archive/archive-format';
import { BackupJob, progressPercent } from '../../domain/backup-job';
import { DomainError, isDomainError } from '../../domain/errors';
import { StorageKeys } from '../../domain/storage-key';
import type { BackupJobStore } from '../ports/backup-job-store.port';
import { ARCHIVE_READ_BYTES, type BlobStore } from '../ports/blob-store.port';
import type { FaultPoints } from '../ports/fault-points.port';
import type { Clock, Logger } from '../ports/system.port';
import { unwrapAbort } from './abort-reason';
import type { BackupProgress, CreateBackup } from './create-backup.use-case';
import type { ValidateArchive } from './validate-archive.use-case';

export interface RetentionPolicy {
  /** Days a finished backup is kept; undefined keeps it until the count limit removes it. */
  readonly retentionDays?: number;
}

/** Where a job's archive is written until it is complete; never under backups/. */
export const partialBackupKey = (jobId: string) => `tmp/backups/${jobId}${ARCHIVE_EXTENSION}`;

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
    private readonly faults?: FaultPoints,
  ) {}

  async execute(job: BackupJob, workerId: string, signal?: AbortSignal): Promise<BackupJob | null> {
    const tempKey = partialBackupKey(job.id);
    /** Where the archive is now: the temporary key, then its final name once moved there. */
    let placed = tempKey;
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
      await this.faults?.reach('backup.before-move');
      const now = this.clock.now();
      const expiresAt = this.policy.retentionDays ? new Date(now.getTime() + this.policy.retentionDays * 86_400_000) : null;
      let filename = '';
      for (let attempt = 0; ; attempt++) {
        const next = await this.freeName(now, attempt);
        attempt = next.attempt;
        if (!(await this.jobs.recordPlacement(job.id, workerId, next.key))) throw new Error('the job was taken over or cancelled while it ran');
        try {
          await this.blobs.move(placed, next.key);
        } catch (error) {
          if (isDomainError(error) && error.code === 'blob_exists') continue; // taken since it was checked
          throw error;
        }
        placed = next.key;
        await this.faults?.reach('backup.after-move');
        if (await this.jobs.complete(job.id, workerId, { storageKey: next.key, filename: next.filename, fileSize: stored.size, warnings: result.warnings, expiresAt, verifiedAt })) {
          filename = next.filename;
          break;
        }
        // false: another job recorded this name first, unless this job is no longer ours at all.
        const current = await this.jobs.get(job.id);
        if (current?.status !== 'running' || current.workerId !== workerId) throw new Error('the job was taken over or cancelled while it ran');
      }
      this.logger.info('backup completed', { job_id: job.id, filename, bytes: stored.size, documents: result.documents });
      return this.jobs.get(job.id);
    } catch (error) {
      const message = describe(error);
      this.logger.error('backup failed', { job_id: job.id, error: message });
      await this.jobs.fail(job.id, message).catch(() => undefined);
      await this.blobs.delete(placed).catch(() => undefined);
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
    const analysis = await this.validate.execute({ source: await this.blobs.get(key, { signal, readSize: ARCHIVE_READ_BYTES }), signal });
    const problems = [...analysis.errors];
    if (!analysis.checksums.present) problems.push('checksums.sha256 is missing');
    if (problems.length === 0) return;
    this.logger.error('backup verification failed: the stored archive does not read back intact', { job_id: jobId, problems: problems.slice(0, 5) });
    throw new DomainError('integrity', 'backup_verification_failed',
      `Backup verification failed, the archive was discarded: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  }

  /** UTC name of `at`; `_2`, `_3`… when taken (jobs finishing in the same second). Starts looking at `from`. */
  private async freeName(at: Date, from: number): Promise<{ filename: string; key: string; attempt: number }> {
    for (let attempt = from; attempt < 1000; attempt++) {
      const filename = backupFilename(at, attempt);
      const key = StorageKeys.backup(filename);
      if (!(await this.blobs.stat(key))) return { filename, key, attempt };
    }
    throw new Error('no free backup filename for this second');
  }
}

function describe(failure: unknown): string {
  const error = unwrapAbort(failure);
  if (isDomainError(error)) return error.message;
  if (error instanceof Error && error.name === 'AbortError') return 'The backup was cancelled';
  return `Backup failed: ${error instanceof Error ? error.message : String(error)}`;
}
