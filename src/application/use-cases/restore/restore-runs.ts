import type { ErrorCategory } from '../../../domain/errors';
import type { RestoreRun, RestoreRunFailure, RestoreRunReport, RestoreRunStore } from '../../ports/restore-run-store.port';
import type { Clock, Logger } from '../../ports/system.port';
import type { RestoreReport } from '../restore-backup.use-case';

/** How often a running restore refreshes its heartbeat, and when a silent one counts as interrupted. */
export const RESTORE_HEARTBEAT_MS = 10_000;
export const STALE_RESTORE_MS = 120_000;

export const INTERRUPTED_RESTORE: RestoreRunFailure = {
  code: 'restore_interrupted',
  category: 'unavailable',
  message: 'The service process running this restore stopped before it finished; its next start recovers the data',
};

/** The stored form of a report: counts and ids, not the archive's analysis. */
export function toRunReport(report: RestoreReport): RestoreRunReport {
  const { restoreId, rows, filesRestored, filesRemoved, safetyBackupJobId, warnings } = report;
  return { restoreId, rows, filesRestored, filesRemoved, safetyBackupJobId, warnings };
}

/**
 * An error with a code and a category (a domain error, recognised by its fields) keeps them and its reason;
 * anything else is stored as a generic reason, since a driver's message may quote values.
 */
export function toRunFailure(error: unknown): RestoreRunFailure {
  const { code, category, message } = (error ?? {}) as { code?: unknown; category?: unknown; message?: unknown };
  if (typeof code === 'string' && typeof category === 'string') {
    return { code, category: category as ErrorCategory, message: typeof message === 'string' ? message : code };
  }
  return { code: 'internal_error', category: 'internal', message: 'The restore failed unexpectedly; the service log has the details' };
}

/**
 * Writes a run's progress with at most one write in flight; reports that arrive meanwhile collapse into
 * the newest, so a fast restore never queues writes. `beat()` re-sends the last progress as a heartbeat.
 */
export class RunProgressWriter {
  private latest?: { phase: string; progress: number };
  private last: { phase: string; progress: number };
  private writing?: Promise<void>;

  constructor(
    private readonly runs: RestoreRunStore,
    private readonly runId: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    initialPhase: string,
  ) {
    this.last = { phase: initialPhase, progress: 0 };
  }

  report(phase: string, progress: number): void {
    this.latest = { phase, progress: Math.round(progress) };
    this.writing ??= this.flush();
  }

  beat(): void {
    if (!this.writing) this.report(this.last.phase, this.last.progress);
  }

  /** Resolves once no write is in flight. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async flush(): Promise<void> {
    while (this.latest) {
      const next = this.latest;
      this.latest = undefined;
      this.last = next;
      try {
        await this.runs.reportProgress(this.runId, next, this.clock.now());
      } catch (error) {
        this.logger.warn('restore progress could not be recorded', { restore_id: this.runId, error: String(error) });
      }
    }
    this.writing = undefined;
  }
}

/**
 * The runs this process is executing, as they are now. Asked first by GetRestoreStatus: while a
 * restore holds SQLite's single write connection, its progress cannot be written (nor the row read
 * on that connection) until the commit, and a run this process is still executing is never
 * "interrupted", however old its last recorded heartbeat. Other processes read the database.
 */
export class RunsInThisProcess {
  private readonly runs = new Map<string, { adminUserId: string; startedAt: Date; phase: string; progress: number }>();

  begin(id: string, adminUserId: string, startedAt: Date, phase: string): void {
    this.runs.set(id, { adminUserId, startedAt, phase, progress: 0 });
  }

  report(id: string, phase: string, progress: number): void {
    const run = this.runs.get(id);
    if (run) Object.assign(run, { phase, progress: Math.round(progress) });
  }

  end(id: string): void {
    this.runs.delete(id);
  }

  /** The run as a running RestoreRun, when this process executes it. */
  get(id: string, now: Date): RestoreRun | null {
    const run = this.runs.get(id);
    if (!run) return null;
    return {
      id, adminUserId: run.adminUserId, status: 'running', phase: run.phase, progress: run.progress,
      failure: null, report: null, startedAt: run.startedAt, completedAt: null, heartbeatAt: now,
    };
  }
}
