import type { HousekeepingStore } from '../ports/housekeeping-store.port';
import type { Clock } from '../ports/system.port';
import type { ExpireRestoreUploads } from './expire-restore-uploads.use-case';

/** Login attempts are kept this long (they feed the rate limit and the audit trail). */
export const LOGIN_ATTEMPT_RETENTION_DAYS = 30;

export interface CleanupReport {
  readonly expiredSessions: number;
  readonly expiredResetTokens: number;
  readonly expiredUploads: number;
  /** Files under tmp/uploads/ without an upload, plus abandoned partial writes of the storage backend. */
  readonly tempFiles: number;
  readonly interruptedAnalyses: number;
  readonly oldLoginAttempts: number;
  readonly message: string;
}

/**
 * README, HTTP API `POST /admin/cleanup`: expired sessions, expired password-reset tokens, expired uploads
 * and their files, leftover temporary files, and login attempts older than 30 days.
 */
export class RunCleanup {
  constructor(
    private readonly housekeeping: HousekeepingStore,
    private readonly expireUploads: ExpireRestoreUploads,
    private readonly clock: Clock,
    /** The storage backend's own sweep of partial writes left by dead processes, when it has one. */
    private readonly sweepStorageTemp: () => Promise<number> = async () => 0,
  ) {}

  async execute(): Promise<CleanupReport> {
    const now = this.clock.now();
    const expiredSessions = await this.housekeeping.deleteExpiredSessions(now);
    const expiredResetTokens = await this.housekeeping.clearExpiredResetTokens(now);
    const uploads = await this.expireUploads.execute();
    const storageTemp = await this.sweepStorageTemp();
    const cutoff = new Date(now.getTime() - LOGIN_ATTEMPT_RETENTION_DAYS * 86_400_000);
    const oldLoginAttempts = await this.housekeeping.deleteLoginAttemptsBefore(cutoff);
    const report = {
      expiredSessions, expiredResetTokens, expiredUploads: uploads.expired, tempFiles: uploads.orphanFiles + storageTemp,
      interruptedAnalyses: uploads.interrupted, oldLoginAttempts,
    };
    return { ...report, message: describe(report) };
  }
}

function describe(r: Omit<CleanupReport, 'message'>): string {
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  return (
    'Cleanup completed: removed ' +
    [
      count(r.expiredSessions, 'expired session'),
      count(r.expiredResetTokens, 'expired password reset token'),
      count(r.expiredUploads, 'expired restore upload'),
      count(r.tempFiles, 'leftover temporary file'),
      count(r.oldLoginAttempts, `login attempt older than ${LOGIN_ATTEMPT_RETENTION_DAYS} days`, `login attempts older than ${LOGIN_ATTEMPT_RETENTION_DAYS} days`),
    ].join(', ') +
    (r.interruptedAnalyses > 0 ? `; marked ${count(r.interruptedAnalyses, 'interrupted analysis', 'interrupted analyses')} as failed` : '')
  );
}
