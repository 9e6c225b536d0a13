import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { DeleteBackup } from '../../src/application/use-cases/delete-backup.use-case';
import { QueueBackup } from '../../src/application/use-cases/queue-backup.use-case';
import { ExpireRestoreRuns } from '../../src/application/use-cases/expire-restore-runs.use-case';
import { GetRestoreStatus } from '../../src/application/use-cases/get-restore-status.use-case';
import { STALE_RESTORE_MS } from '../../src/application/use-cases/restore/restore-runs';
import { bootService, BootedService } from '../../src/boot';
import { backendEnv, BackendSetup, DatabaseKind } from '../support/backends';
import { silentLogger } from '../support/service';

const ADMIN = '11111111-1111-4111-8111-111111111111';
const HOUR = 3_600_000;

for (const kind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`backup queue, deletion and restore runs (${kind})`, function () {
    let setup: BackendSetup;
    let service: BootedService;
    let dataDir: string;
    let db: DatabaseBackend;
    let seq = 0;
    const newId = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

    before(async function () {
      setup = await backendEnv(this, kind, 'filesystem');
      dataDir = await mkdtemp(join(tmpdir(), 'aviary-runs-'));
      service = await bootService({ env: { ...setup.env, DATA_DIR: dataDir, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' }, background: false, logger: silentLogger });
      db = service.container.get<DatabaseBackend>(TOKENS.Database);
    });
    after(async () => {
      await service?.close();
      await setup?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('hasPending answers whether a job waits to be claimed', async () => {
      assert.equal(await db.jobs.hasPending(), false);
      const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: false, includeConfigs: false, userIds: [], tables: [] } });
      assert.equal(await db.jobs.hasPending(), true);
      assert.equal((await db.jobs.claim(job.id, 'test-worker'))?.id, job.id);
      assert.equal(await db.jobs.hasPending(), false);
      await db.jobs.delete(job.id);
    });

    it('QueueBackup refuses unknown tables, ids that are not ids and unknown users, queuing nothing', async () => {
      const queue = service.container.get(QueueBackup);
      const full = { includeFiles: true, includeConfigs: true, userIds: [], tables: [] };
      const before = (await db.jobs.list()).length;
      await assert.rejects(queue.execute({ request: { ...full, tables: ['users', 'nope'] }, adminUserId: null, trigger: 'manual' }), { code: 'invalid_tables' });
      await assert.rejects(queue.execute({ request: { ...full, userIds: ['bob'] }, adminUserId: null, trigger: 'manual' }), { code: 'invalid_user_ids' });
      await assert.rejects(queue.execute({ request: { ...full, userIds: [newId()] }, adminUserId: null, trigger: 'manual' }), /Unknown user id/);
      assert.equal((await db.jobs.list()).length, before);
      const admin = (await db.accounts.findFirstAdmin())!;
      const job = await queue.execute({ request: { ...full, userIds: [admin.id.toUpperCase()] }, adminUserId: null, trigger: 'manual', wake: false });
      assert.deepEqual(job.options.userIds, [admin.id]);
      await db.jobs.delete(job.id);
    });

    it('DeleteBackup refuses a running backup and removes a finished one, archive first', async () => {
      const blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
      const remove = service.container.get(DeleteBackup);
      const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: false, includeConfigs: false, userIds: [], tables: [] } });
      await db.jobs.claim(job.id, 'test-worker');
      await assert.rejects(remove.execute({ jobId: job.id }), { code: 'backup_running' });
      const key = `backups/delete-test-${kind}.tar.gz`;
      await blobs.put(key, (async function* () { yield Buffer.from('archive'); })(), { size: 7 });
      assert.ok(await db.jobs.complete(job.id, 'test-worker', {
        storageKey: key, filename: `delete-test-${kind}.tar.gz`, fileSize: 7, warnings: [], expiresAt: null, verifiedAt: null,
      }));
      await remove.execute({ jobId: job.id.toUpperCase() });
      assert.equal(await db.jobs.get(job.id), null);
      assert.equal(await blobs.stat(key), null);
      await assert.rejects(remove.execute({ jobId: job.id }), { code: 'backup_job_not_found' });
      await assert.rejects(remove.execute({ jobId: 'nope' }), { code: 'invalid_job_id' });
    });

    it('records progress and the outcome; a finished run ignores late progress', async () => {
      const id = newId();
      const start = new Date('2026-01-01T00:00:00Z');
      await db.restoreRuns.create({ id, adminUserId: ADMIN, phase: 'locking', startedAt: start });
      await db.restoreRuns.reportProgress(id, { phase: 'database', progress: 40 }, new Date(start.getTime() + 1000));
      let run = (await db.restoreRuns.get(id))!;
      assert.deepEqual([run.status, run.phase, run.progress, run.heartbeatAt.getTime()], ['running', 'database', 40, start.getTime() + 1000]);
      const report = { restoreId: 'r-1', rows: { users: 2 }, filesRestored: 3, filesRemoved: 1, safetyBackupJobId: null, warnings: ['w'] };
      await db.restoreRuns.finish(id, { status: 'completed', report }, new Date(start.getTime() + 2000));
      await db.restoreRuns.reportProgress(id, { phase: 'files', progress: 70 }, new Date(start.getTime() + 3000));
      run = (await db.restoreRuns.get(id))!;
      assert.deepEqual([run.status, run.phase, run.progress, run.completedAt?.getTime()], ['completed', 'done', 100, start.getTime() + 2000]);
      assert.deepEqual(run.report, report);
      assert.equal(run.failure, null);
    });

    it('GetRestoreStatus marks a run with a stale heartbeat interrupted, and answers 404 to another admin', async () => {
      const id = newId();
      const start = new Date('2026-01-01T00:00:00Z');
      await db.restoreRuns.create({ id, adminUserId: ADMIN, phase: 'locking', startedAt: start });
      const fresh = new GetRestoreStatus(db.restoreRuns, { now: () => new Date(start.getTime() + STALE_RESTORE_MS) });
      assert.equal((await fresh.execute({ runId: id, adminUserId: ADMIN })).status, 'running');
      await assert.rejects(fresh.execute({ runId: id, adminUserId: newId() }), { code: 'restore_not_found' });
      await assert.rejects(fresh.execute({ runId: 'not-an-id', adminUserId: ADMIN }), { code: 'restore_not_found' });
      const later = new GetRestoreStatus(db.restoreRuns, { now: () => new Date(start.getTime() + STALE_RESTORE_MS + 1000) });
      const run = await later.execute({ runId: id, adminUserId: ADMIN });
      assert.equal(run.status, 'failed');
      assert.equal(run.failure?.code, 'restore_interrupted');
    });

    it('ExpireRestoreRuns removes runs that ended before the retention and keeps newer and running ones', async () => {
      const now = new Date('2026-02-01T00:00:00Z');
      const old = newId();
      const recent = newId();
      const running = newId();
      for (const id of [old, recent, running]) await db.restoreRuns.create({ id, adminUserId: ADMIN, phase: 'locking', startedAt: new Date(now.getTime() - 30 * HOUR) });
      await db.restoreRuns.finish(old, { status: 'failed', failure: { code: 'x', category: 'invalid', message: 'm' } }, new Date(now.getTime() - 25 * HOUR));
      await db.restoreRuns.finish(recent, { status: 'failed', failure: { code: 'x', category: 'invalid', message: 'm' } }, new Date(now.getTime() - 23 * HOUR));
      await db.restoreRuns.reportProgress(running, { phase: 'files', progress: 50 }, new Date(now.getTime() - 1000));
      const result = await new ExpireRestoreRuns(db.restoreRuns, { now: () => now }, { retentionHours: 24 }).execute();
      assert.equal(await db.restoreRuns.get(old), null);
      assert.equal((await db.restoreRuns.get(recent))?.status, 'failed');
      assert.equal((await db.restoreRuns.get(running))?.status, 'running');
      assert.ok(result.removed >= 1);
    });
  });
}
