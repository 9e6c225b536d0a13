import type { BackupJobStore } from '../../application/ports/backup-job-store.port';
import { BACKUP_RESTORE_LOCK, type LockHolder, type LockStore } from '../../application/ports/lock-store.port';
import type { Logger } from '../../application/ports/system.port';
import type { ApplyRetention } from '../../application/use-cases/apply-retention.use-case';
import type { RecoverBackupJobs } from '../../application/use-cases/recover-backup-jobs.use-case';
import { LeaseKeeper } from '../../application/use-cases/lease-keeper';
import type { RunBackupJob } from '../../application/use-cases/run-backup-job.use-case';
import type { BackgroundService } from './background-service';

export interface BackupWorkerOptions {
  readonly workerId: string;
  /** Holds the global lock while a backup runs (a restore in this same process holds it as another holder). */
  readonly lockHolder: LockHolder;
  readonly pollMs?: number;
  readonly lockTtlMs?: number;
  readonly maintenanceMs?: number;
  readonly isDeadHolder?: (holder: LockHolder) => boolean;
}

/**
 * Claims and runs pending backup jobs, one at a time, while holding the global backup/restore
 * lease (so a restore on any replica answers 409 meanwhile, and a backup waits for a restore).
 * Also fails jobs abandoned by dead processes and enforces retention.
 */
export class BackupWorker implements BackgroundService {
  private timer?: NodeJS.Timeout;
  private maintenance?: NodeJS.Timeout;
  private running?: Promise<void>;
  private abort?: AbortController;
  private stopped = true;

  constructor(
    private readonly jobs: BackupJobStore,
    private readonly locks: LockStore,
    private readonly runJob: RunBackupJob,
    private readonly recover: RecoverBackupJobs,
    private readonly retention: ApplyRetention,
    private readonly logger: Logger,
    private readonly options: BackupWorkerOptions,
  ) {}

  get workerId(): string {
    return this.options.workerId;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.maintain();
    this.maintenance = setInterval(() => void this.maintain(), this.options.maintenanceMs ?? 30_000);
    this.maintenance.unref();
    this.schedule(0);
  }

  /** Look for work now (after a job was queued) instead of at the next poll. */
  wake(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.maintenance);
    this.abort?.abort();
    await this.running;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running ??= this.drain().finally(() => {
        this.running = undefined;
        this.schedule(this.options.pollMs ?? 1_000);
      });
    }, ms);
    this.timer.unref();
  }

  /** Runs pending jobs until none is left or the lock is busy. */
  private async drain(): Promise<void> {
    const holder = this.options.workerId;
    const lockHolder = this.options.lockHolder;
    const ttl = this.options.lockTtlMs ?? 60_000;
    while (!this.stopped) {
      try {
        if (!(await this.jobs.hasPending())) return;
        const lease = new LeaseKeeper(this.locks, BACKUP_RESTORE_LOCK, lockHolder, { ttlMs: ttl, isDeadHolder: this.options.isDeadHolder });
        if (!(await lease.acquire('backup'))) return;
        try {
          const job = await this.jobs.claimNext(holder);
          if (!job) return;
          this.abort = new AbortController();
          try {
            // Stopping the worker or losing the lease both stop the backup.
            await this.runJob.execute(job, holder, AbortSignal.any([this.abort.signal, lease.signal]));
          } finally {
            this.abort = undefined;
          }
          if (!lease.lost) await this.retention.execute().catch((error) => this.logger.warn('retention failed', { error }));
        } finally {
          await lease.release();
        }
      } catch (error) {
        this.logger.error('backup worker error', { error });
        return;
      }
    }
  }

  private async maintain(): Promise<void> {
    try {
      await this.recover.execute();
      await this.retention.execute();
    } catch (error) {
      this.logger.warn('backup maintenance failed', { error });
    }
  }
}
