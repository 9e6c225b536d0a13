import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { bootService, BootedService } from '../../src/boot';
import { backendEnv, BackendSetup } from '../support/backends';
import { startServiceProcess, ServiceProcess } from '../support/service-process';
import { silentLogger, startTestService } from '../support/service';

async function* randomStream(size: number) {
  for (let done = 0; done < size; done += 1 << 20) yield randomBytes(Math.min(1 << 20, size - done));
}

describe('backup workers across processes (PostgreSQL + S3)', function () {
  let setup: BackendSetup;
  let dataDirs: string[] = [];
  const procs: ServiceProcess[] = [];

  before(async function () {
    setup = await backendEnv(this, 'postgres', 's3');
  });
  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await setup?.cleanup();
    for (const d of dataDirs) await rm(d, { recursive: true, force: true });
  });

  it('runs each of 10 queued jobs exactly once with two service processes sharing the database and bucket', async () => {
    // Queue the jobs before any worker exists, so both processes compete for all of them.
    const dir = await mkdtemp(join(tmpdir(), 'aviary-queue-'));
    dataDirs.push(dir);
    const queueing: BootedService = await bootService({ env: { ...setup.env, DATA_DIR: dir }, background: false, logger: silentLogger });
    const db = queueing.container.get<DatabaseBackend>(TOKENS.Database);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] } });
      ids.push(job.id);
    }
    for (let i = 0; i < 2; i++) {
      const d = await mkdtemp(join(tmpdir(), 'aviary-worker-'));
      dataDirs.push(d);
      procs.push(await startServiceProcess({ ...setup.env, DATA_DIR: d }));
    }
    const deadline = Date.now() + 120_000;
    while ((await db.jobs.list()).some((j) => j.status !== 'completed' && j.status !== 'failed')) {
      assert.ok(Date.now() < deadline, 'jobs did not finish in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    const jobs = await db.jobs.list();
    assert.deepEqual(jobs.map((j) => j.status), Array(10).fill('completed'));
    const starts = procs.flatMap((p) => p.events.filter((e) => e.message === 'backup started').map((e) => e.job_id as string));
    assert.equal(starts.length, 10, `every job started once, saw ${starts.length} starts`);
    assert.deepEqual([...new Set(starts)].sort(), [...ids].sort());
    const filenames = new Set(jobs.map((j) => j.filename));
    assert.equal(filenames.size, 10, 'ten distinct archive names');
    const blobs = queueing.container.get<BlobStore>(TOKENS.BlobStore);
    const listed = (await blobs.listPage('backups/')).items.map((i) => i.key).sort();
    assert.deepEqual(listed, jobs.map((j) => j.storageKey).sort());
    await queueing.close();
  });
});

describe('a service killed during a backup (SQLite + filesystem)', function () {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-kill-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('fails the job on restart, lists and serves no partial archive, leaves no temp file', async () => {
    const env = { DATA_DIR: dataDir, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' };
    // Enough data that the backup is still running when the process is killed.
    const prep = await bootService({ env, background: false, logger: silentLogger });
    const db = prep.container.get<DatabaseBackend>(TOKENS.Database);
    const blobs = prep.container.get<BlobStore>(TOKENS.BlobStore);
    const admin = (await db.accounts.findUserByLogin('root'))!;
    for (let i = 0; i < 12; i++) await blobs.put(`users/${admin.id}/pdfs/big-${i}.pdf`, randomStream(16 << 20), { size: 16 << 20 });
    const job = await db.jobs.create({ adminUserId: admin.id, trigger: 'manual', options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] } });
    await prep.close();

    const proc = await startServiceProcess(env);
    await proc.waitFor((e) => e.message === 'backup started' && e.job_id === job.id);
    // Wait until the archive is being written, then kill without warning.
    const tempDir = join(dataDir, '.aviary-tmp');
    for (let i = 0; i < 200 && (await readdir(tempDir).catch(() => [])).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok((await readdir(tempDir)).length > 0, 'the archive was being written when the process was killed');
    await proc.stop('SIGKILL');

    const t = await startTestService({}, { env: { ...env, ALLOW_INSECURE: 'true' } });
    try {
      const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
      const cookie = login.headers['set-cookie'][0].split(';')[0];
      const after = await request(t.app).get(`/api/admin/backup-job/${job.id}`).set('Cookie', cookie);
      assert.equal(after.body.status, 'failed');
      assert.match(after.body.error_message, /stopped while this backup was running/);
      const download = await request(t.app).get(`/api/admin/backup-job/${job.id}/download`).set('Cookie', cookie);
      assert.equal(download.status, 400);
      assert.equal(download.body.error_type, 'backup_not_ready');
      const store = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
      assert.deepEqual((await store.listPage('backups/')).items, []);
      assert.deepEqual((await store.listPage('tmp/')).items, []);
      assert.deepEqual(await readdir(tempDir), []);
    } finally {
      await t.stop();
    }
  });
});
