import { randomUUID } from 'node:crypto';
import type { MigrationRun, MigrationRunStore } from '../../src/application/ports/migration-run-store.port';

/** Runs in an array; reports are stored as JSON text, as the database adapter does. */
export class InMemoryMigrationRunStore implements MigrationRunStore {
  readonly rows: (Omit<MigrationRun, 'report'> & { report: string })[] = [];

  async start(kind: string, adminUserId: string | null, report?: unknown): Promise<MigrationRun> {
    const row = { id: randomUUID(), kind, status: 'running' as const, adminUserId, report: JSON.stringify(report ?? null), startedAt: new Date(), completedAt: null };
    this.rows.push(row);
    return { ...row, report: report ?? null };
  }
  async finish(id: string, status: 'completed' | 'failed', report: unknown): Promise<void> {
    const index = this.rows.findIndex((r) => r.id === id && r.status === 'running');
    if (index >= 0) this.rows[index] = { ...this.rows[index], status, report: JSON.stringify(report), completedAt: new Date() };
  }
  async failRunning(kind: string, report: unknown): Promise<number> {
    let n = 0;
    this.rows.forEach((r, i) => {
      if (r.kind !== kind || r.status !== 'running') return;
      this.rows[i] = { ...r, status: 'failed', report: JSON.stringify(report), completedAt: new Date() };
      n++;
    });
    return n;
  }
  async list(kind: string): Promise<MigrationRun[]> {
    return this.rows.filter((r) => r.kind === kind).reverse().map((r) => ({ ...r, report: JSON.parse(r.report) }));
  }
}
