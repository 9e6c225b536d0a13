import type { BackupJobStore } from '../ports/backup-job-store.port';
import type { BlobStore } from '../ports/blob-store.port';
import type { Clock, Logger } from '../ports/system.port';
import { listAll } from './blob-listing';
import { partialBackupKey } from './run-backup-job.use-case';

/** A running job with no heartbeat for this long belonged to a process that died. */
export const STALE_AFTER_MS = 60_000;

/**
 * After a crash: jobs left `running` by a dead process are failed with a message that says so,
 * and partial archives that no live job owns are removed, so nothing half-written survives.
 */
export class RecoverBackupJobs {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** True when a worker id certainly belongs to a process that is gone (same host, pid dead). */
    private readonly isDeadWorker: (workerId: string) => boolean = () => false,
  ) {}

  async execute(): Promise<{ failed: string[]; removedPartials: number }> {
    const staleBefore = new Date(this.clock.now().getTime() - STALE_AFTER_MS);
    const failed: string[] = [];
    const orphaned = (await this.jobs.list()).filter((j) => j.status === 'running' && j.workerId && this.isDeadWorker(j.workerId));
    const stale = await this.jobs.listStale(staleBefore);
    const abandoned = [...orphaned, ...stale.filter((j) => !orphaned.some((o) => o.id === j.id))];
    for (const job of abandoned) {
      await this.jobs.fail(
        job.id,
        'The service stopped while this backup was running; its partial archive was removed. Start a new backup.',
      );
      await this.blobs.delete(partialBackupKey(job.id));
      // Killed between naming its archive and completing: the archive is under its final name
      // (unless that name turned out to be another job's, which the move refused).
      if (job.storageKey && !(await this.ownedByAnother(job.id, job.storageKey))) await this.blobs.delete(job.storageKey);
      failed.push(job.id);
      this.logger.warn('failed a backup job abandoned by a stopped process', { job_id: job.id });
    }
    let removedPartials = 0;
    const running = new Set((await this.jobs.list()).filter((j) => j.status === 'running').map((j) => j.id));
    for await (const blob of listAll(this.blobs, 'tmp/backups/')) {
      const jobId = blob.key.slice('tmp/backups/'.length).replace(/\.tar\.gz$/, '');
      if (running.has(jobId)) continue;
      await this.blobs.delete(blob.key);
      removedPartials++;
    }
    return { failed, removedPartials };
  }

  private async ownedByAnother(jobId: string, key: string): Promise<boolean> {
    return (await this.jobs.list()).some((j) => j.id !== jobId && j.storageKey === key);
  }
}
