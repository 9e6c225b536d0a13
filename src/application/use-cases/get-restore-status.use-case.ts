import { NotFoundError } from '../../domain/errors';
import { isUuid } from '../../domain/schema/values';
import type { RestoreRun, RestoreRunStore } from '../ports/restore-run-store.port';
import type { Clock } from '../ports/system.port';
import { INTERRUPTED_RESTORE, RunsInThisProcess, STALE_RESTORE_MS } from './restore/restore-runs';

/**
 * `GET /api/admin/restore/:id`: a restore run as recorded in the database, for the admin who started it.
 * A run whose heartbeat stopped (its process died) is marked interrupted on the spot.
 */
export class GetRestoreStatus {
  constructor(
    private readonly runs: RestoreRunStore,
    private readonly clock: Clock,
    private readonly local = new RunsInThisProcess(),
  ) {}

  async execute(input: { readonly runId: string; readonly adminUserId: string }): Promise<RestoreRun> {
    const id = isUuid(input.runId) ? input.runId.toLowerCase() : null;
    // A run this process executes is answered from memory (see RunsInThisProcess).
    const run = id ? (this.local.get(id, this.clock.now()) ?? (await this.runs.get(id))) : null;
    if (!run || run.adminUserId !== input.adminUserId) throw new NotFoundError('restore_not_found', 'Restore not found');
    const now = this.clock.now();
    if (run.status !== 'running' || now.getTime() - run.heartbeatAt.getTime() <= STALE_RESTORE_MS) return run;
    await this.runs.failStale(new Date(now.getTime() - STALE_RESTORE_MS), INTERRUPTED_RESTORE, now);
    return (await this.runs.get(run.id)) ?? run;
  }
}
