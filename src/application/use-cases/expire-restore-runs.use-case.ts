import type { RestoreRunStore } from '../ports/restore-run-store.port';
import type { Clock } from '../ports/system.port';
import { INTERRUPTED_RESTORE, STALE_RESTORE_MS } from './restore/restore-runs';

/**
 * Retention of restore runs: runs that ended more than `retentionHours` ago are removed, and runs whose
 * process died (no heartbeat) are marked interrupted. Safe to run on several replicas at once.
 */
export class ExpireRestoreRuns {
  constructor(
    private readonly runs: RestoreRunStore,
    private readonly clock: Clock,
    private readonly settings: { readonly retentionHours: number },
  ) {}

  async execute(): Promise<{ readonly removed: number; readonly interrupted: number }> {
    const now = this.clock.now();
    const interrupted = await this.runs.failStale(new Date(now.getTime() - STALE_RESTORE_MS), INTERRUPTED_RESTORE, now);
    const removed = await this.runs.deleteFinishedBefore(new Date(now.getTime() - this.settings.retentionHours * 3_600_000));
    return { removed, interrupted };
  }
}
