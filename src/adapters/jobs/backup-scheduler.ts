import type { LockHolder, LockStore } from '../../application/ports/lock-store.port';
import type { Clock, Logger } from '../../application/ports/system.port';
import type { BackgroundService } from './background-service';
import { FULL_BACKUP, type QueueBackup } from '../../application/use-cases/queue-backup.use-case';
import { CronSchedule, nextRun } from '../../domain/cron';

const MAX_SLEEP_MS = 60 * 60_000;

/**
 * Queues a full backup at each BACKUP_SCHEDULE time. Every replica runs a scheduler; a lease per
 * scheduled minute makes exactly one of them queue the job.
 */
export class BackupScheduler implements BackgroundService {
  private timer?: NodeJS.Timeout;
  private next?: Date;

  constructor(
    private readonly schedule: CronSchedule | undefined,
    private readonly queue: QueueBackup,
    private readonly locks: LockStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly holder: LockHolder,
  ) {}

  /** When the next scheduled backup will be queued; undefined without a schedule. */
  nextRunAt(): Date | undefined {
    return this.schedule ? (this.next ?? nextRun(this.schedule, this.clock.now())) : undefined;
  }

  async start(): Promise<void> {
    if (this.schedule) this.arm();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next = undefined;
  }

  private arm(): void {
    const now = this.clock.now();
    this.next ??= nextRun(this.schedule!, now);
    const wait = Math.min(Math.max(0, this.next.getTime() - now.getTime()), MAX_SLEEP_MS);
    this.timer = setTimeout(() => void this.fire(), wait);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    const due = this.next!;
    if (this.clock.now().getTime() >= due.getTime()) {
      this.next = undefined;
      try {
        const slot = `schedule:${due.toISOString()}`;
        if (await this.locks.acquire(slot, this.holder, 24 * 3600_000, 'scheduled backup')) {
          const job = await this.queue.execute({ request: FULL_BACKUP, adminUserId: null, trigger: 'scheduled' });
          this.logger.info('scheduled backup queued', { job_id: job.id, slot: due.toISOString() });
        }
      } catch (error) {
        this.logger.error('could not queue the scheduled backup', { error });
      }
    }
    if (this.timer !== undefined) this.arm();
  }
}
