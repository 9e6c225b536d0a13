import type { Knex } from '@mikro-orm/knex';
import type {
  RestoreRun, RestoreRunFailure, RestoreRunOutcome, RestoreRunReport, RestoreRunStatus, RestoreRunStore,
} from '../../application/ports/restore-run-store.port';
import type { ErrorCategory } from '../../domain/errors';
import type { Engine } from './engine';
import { guarded } from './driver-errors';

const TABLE = 'aviary_restore_runs';

interface RunRow {
  id: string;
  admin_user_id: string;
  status: string;
  phase: string;
  progress: number | string;
  error_code: string | null;
  error_category: string | null;
  error_message: string | null;
  report: string | null;
  started_at: number | string;
  completed_at: number | string | null;
  heartbeat_at: number | string;
}

function parseReport(text: string | null): RestoreRunReport | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as RestoreRunReport;
  } catch {
    return null; // never written by us; the run reads as having no report rather than failing
  }
}

function toRun(row: RunRow): RestoreRun {
  const failure: RestoreRunFailure | null = row.error_code === null
    ? null
    : { code: row.error_code, category: (row.error_category ?? 'internal') as ErrorCategory, message: row.error_message ?? '' };
  return {
    id: row.id,
    adminUserId: row.admin_user_id,
    status: row.status as RestoreRunStatus,
    phase: row.phase,
    progress: Number(row.progress),
    failure,
    report: parseReport(row.report),
    startedAt: new Date(Number(row.started_at)),
    completedAt: row.completed_at === null ? null : new Date(Number(row.completed_at)),
    heartbeatAt: new Date(Number(row.heartbeat_at)),
  };
}

const failureColumns = (f: RestoreRunFailure) => ({ error_code: f.code, error_category: f.category, error_message: f.message });

/** Asynchronous restores in `aviary_restore_runs` (migration 0006); times are epoch milliseconds. */
export class KnexRestoreRunStore implements RestoreRunStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async create(run: { id: string; adminUserId: string; phase: string; startedAt: Date }): Promise<void> {
    const at = run.startedAt.getTime();
    await this.run(() =>
      this.knex(TABLE).insert({ id: run.id, admin_user_id: run.adminUserId, status: 'running', phase: run.phase, progress: 0, started_at: at, heartbeat_at: at }),
    );
  }

  async get(id: string): Promise<RestoreRun | null> {
    const row = await this.run(() => this.knex<RunRow>(TABLE).where({ id }).first());
    return row ? toRun(row) : null;
  }

  async reportProgress(id: string, progress: { phase: string; progress: number }, at: Date): Promise<void> {
    await this.run(() =>
      this.knex(TABLE).where({ id, status: 'running' }).update({ phase: progress.phase, progress: progress.progress, heartbeat_at: at.getTime() }),
    );
  }

  async finish(id: string, outcome: RestoreRunOutcome, at: Date): Promise<void> {
    const columns = outcome.status === 'completed'
      ? { status: 'completed', phase: 'done', progress: 100, report: JSON.stringify(outcome.report) }
      : { status: 'failed', ...failureColumns(outcome.failure) };
    await this.run(() =>
      this.knex(TABLE).where({ id, status: 'running' }).update({ ...columns, completed_at: at.getTime(), heartbeat_at: at.getTime() }),
    );
  }

  async failStale(heartbeatBefore: Date, failure: RestoreRunFailure, at: Date): Promise<number> {
    return this.run(() =>
      this.knex(TABLE)
        .where({ status: 'running' })
        .andWhere('heartbeat_at', '<', heartbeatBefore.getTime())
        .update({ status: 'failed', ...failureColumns(failure), completed_at: at.getTime() }),
    );
  }

  async deleteFinishedBefore(cutoff: Date): Promise<number> {
    return this.run(() => this.knex(TABLE).whereNot({ status: 'running' }).andWhere('completed_at', '<', cutoff.getTime()).delete());
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'restore runs');
  }
}
