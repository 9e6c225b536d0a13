import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/knex';
import type { MigrationRun, MigrationRunStatus, MigrationRunStore } from '../../application/ports/migration-run-store.port';
import type { Engine } from './engine';
import { guarded } from './driver-errors';

const TABLE = 'aviary_migration_runs';

interface RunRow {
  id: string;
  kind: string;
  status: string;
  admin_user_id: string | null;
  report: string;
  started_at: number | string;
  completed_at: number | string | null;
}

function toRun(row: RunRow): MigrationRun {
  let report: unknown = null;
  try {
    report = JSON.parse(row.report);
  } catch {
    report = null; // never written by us; shown as "no report" rather than failing the listing
  }
  return {
    id: row.id,
    kind: row.kind,
    status: row.status as MigrationRunStatus,
    adminUserId: row.admin_user_id,
    report: report === null || (typeof report === 'object' && Object.keys(report as object).length === 0) ? null : report,
    startedAt: new Date(Number(row.started_at)),
    completedAt: row.completed_at === null ? null : new Date(Number(row.completed_at)),
  };
}

/** Migration runs in `aviary_migration_runs` (migration 0002); times are epoch milliseconds. */
export class KnexMigrationRunStore implements MigrationRunStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async start(kind: string, adminUserId: string | null, report?: unknown): Promise<MigrationRun> {
    const row = {
      id: randomUUID(), kind, status: 'running', admin_user_id: adminUserId,
      report: report === undefined ? '{}' : JSON.stringify(report), started_at: Date.now(),
    };
    await this.run(() => this.knex(TABLE).insert(row));
    return toRun({ ...row, completed_at: null });
  }

  async finish(id: string, status: 'completed' | 'failed', report: unknown): Promise<void> {
    await this.run(() =>
      this.knex(TABLE).where({ id, status: 'running' }).update({ status, report: JSON.stringify(report), completed_at: Date.now() }),
    );
  }

  async failRunning(kind: string, report: unknown): Promise<number> {
    return this.run(() =>
      this.knex(TABLE).where({ kind, status: 'running' }).update({ status: 'failed', report: JSON.stringify(report), completed_at: Date.now() }),
    );
  }

  async list(kind: string, limit = 100): Promise<MigrationRun[]> {
    const rows = await this.run(() =>
      this.knex<RunRow>(TABLE)
        .where({ kind })
        .orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit),
    );
    return rows.map(toRun);
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'migration runs');
  }
}
