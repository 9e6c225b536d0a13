import assert from 'node:assert/strict';
import type { RestoreRun, RestoreRunOutcome, RestoreRunStore } from '../../src/application/ports/restore-run-store.port';
import { GetRestoreStatus } from '../../src/application/use-cases/get-restore-status.use-case';
import type { RestoreFromUpload } from '../../src/application/use-cases/restore-from-upload.use-case';
import type { RestoreReport } from '../../src/application/use-cases/restore-backup.use-case';
import { RunsInThisProcess, STALE_RESTORE_MS } from '../../src/application/use-cases/restore/restore-runs';
import { StartRestore } from '../../src/application/use-cases/start-restore.use-case';

const ADMIN = '11111111-1111-4111-8111-111111111111';
const RUN = '22222222-2222-4222-8222-222222222222';
const UPLOAD = '33333333-3333-4333-8333-333333333333';
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * A store whose writes and reads hang while `blocked` (as SQLite's one write connection does while
 * the restore's transaction holds it), recording what reached it.
 */
class BlockedStore implements RestoreRunStore {
  blocked = true;
  row: RestoreRun | null = null;
  private waiting: (() => void)[] = [];
  private async gate(): Promise<void> {
    if (this.blocked) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  unblock(): void {
    this.blocked = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
  async create(run: { id: string; adminUserId: string; phase: string; startedAt: Date }) {
    this.row = { ...run, status: 'running', progress: 0, failure: null, report: null, completedAt: null, heartbeatAt: run.startedAt };
  }
  async get(id: string) {
    await this.gate();
    return this.row?.id === id ? this.row : null;
  }
  async reportProgress(_id: string, progress: { phase: string; progress: number }, at: Date) {
    await this.gate();
    if (this.row) this.row = { ...this.row, ...progress, heartbeatAt: at };
  }
  async finish(_id: string, outcome: RestoreRunOutcome, at: Date) {
    await this.gate();
    if (this.row) this.row = { ...this.row, status: outcome.status, completedAt: at };
  }
  async failStale() { await this.gate(); return 0; }
  async deleteFinishedBefore() { return 0; }
}

describe('restore status of a run this process executes', () => {
  it('is answered from memory while the database cannot be reached, never as interrupted, then from the database', async () => {
    const store = new BlockedStore();
    let finishRestore!: (report: RestoreReport) => void;
    let onProgress!: (phase: string, percent: number) => void;
    const restore = {
      prepare: async (input: { options: { onProgress?: (phase: string, percent: number) => void } }) => {
        onProgress = input.options.onProgress!;
        return { run: () => new Promise<RestoreReport>((resolve) => { finishRestore = resolve; }) };
      },
    } as unknown as RestoreFromUpload;
    let now = new Date('2026-12-01T10:00:00Z');
    const clock = { now: () => now };
    const here = new RunsInThisProcess();
    const start = new StartRestore(restore, store, { uuid: () => RUN, secret: () => 'unused' }, clock, quiet, here, 60_000);
    const status = new GetRestoreStatus(store, clock, here);

    const { runId } = await start.start({ uploadId: UPLOAD, adminUserId: ADMIN, options: { userIds: [], overwriteDatabase: true, overwriteFiles: true } as never });
    onProgress('database', 75);
    now = new Date(now.getTime() + STALE_RESTORE_MS * 3); // no heartbeat reached the database meanwhile
    const during = await status.execute({ runId, adminUserId: ADMIN });
    assert.equal(during.status, 'running');
    assert.equal(during.phase, 'database');
    assert.equal(during.progress, 75);
    await assert.rejects(status.execute({ runId, adminUserId: '44444444-4444-4444-8444-444444444444' }), (e: { code?: string }) => e.code === 'restore_not_found');

    finishRestore({ restoreId: runId, rows: {}, filesRestored: 0, filesRemoved: 0, safetyBackupJobId: null, warnings: [] } as unknown as RestoreReport);
    store.unblock();
    for (let i = 0; i < 100 && store.row?.status === 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const after = await status.execute({ runId, adminUserId: ADMIN });
    assert.equal(after.status, 'completed', 'once the run ended, the database answers');
  });
});
