import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
import { waitFor } from '../support/wait';
import { TS_CHILD_ARGS } from '../support/child-node';

/** Runs the service process with a SIGKILL at `point` (honoured under NODE_ENV=test only) until it dies. */
async function serviceKilledAt(point: string, env: Record<string, string>): Promise<{ signal: NodeJS.Signals | null; output: string }> {
  const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/e2e/host/service-process.ts'], {
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, ...env, NODE_ENV: 'test', AVIARY_FAULT_POINT: `${point}:kill` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
  return { signal, output };
}

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

  it('runs each of 10 queued jobs exactly once with two service processes sharing the database and bucket', async function () {
    this.timeout(300_000); // two service processes start and share two cores with everything else
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
    await waitFor(async () => (await db.jobs.list()).every((j) => j.status === 'completed' || j.status === 'failed'), 'every job to end', 280_000);
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
    const prep = await bootService({ env, background: false, logger: silentLogger });
    const db = prep.container.get<DatabaseBackend>(TOKENS.Database);
    const blobs = prep.container.get<BlobStore>(TOKENS.BlobStore);
    const admin = (await db.accounts.findUserByLogin('root'))!;
    for (let i = 0; i < 3; i++) await blobs.put(`users/${admin.id}/pdfs/doc-${i}.pdf`, randomStream(1 << 20), { size: 1 << 20 });
    const job = await db.jobs.create({ adminUserId: admin.id, trigger: 'manual', options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] } });
    await prep.close();

    // The service's worker picks the job up at start and is killed while the archive is half written.
    const { signal, output } = await serviceKilledAt('backup.mid-documents', env);
    assert.equal(signal, 'SIGKILL', output);
    const tempDir = join(dataDir, '.aviary-tmp');
    assert.ok((await readdir(tempDir)).length > 0, 'the archive was being written when the process was killed');

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
