import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendEnv, BackendSetup } from '../support/backends';
import { startServiceProcess, ServiceProcess } from '../support/service-process';

const PASSWORD = 'root-password-1';

/** A logged-in admin on one replica's HTTP port. */
class Client {
  private cookie = '';
  constructor(readonly name: string, private readonly port: number) {}

  async login(): Promise<void> {
    const res = await fetch(this.url('/api/auth/login'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: PASSWORD }),
    });
    assert.equal(res.status, 200, `${this.name}: login`);
    this.cookie = res.headers.get('set-cookie')!.split(';')[0];
  }

  async call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), cookie: this.cookie };
    if (typeof init.body === 'string') headers['content-type'] = 'application/json';
    return fetch(this.url(path), { ...init, headers });
  }

  async json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await this.call(path, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  private url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an async restore across replicas (PostgreSQL + S3)', function () {
  let setup: BackendSetup;
  const dirs: string[] = [];
  const procs: ServiceProcess[] = [];

  before(async function () {
    setup = await backendEnv(this, 'postgres', 's3');
  });
  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await setup?.cleanup();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('is started on one service process and polled to its end on the other', async function () {
    this.timeout(300_000); // two service processes start and share two cores with everything else
    const env = {
      ...setup.env, SERVICE_PROCESS_HTTP: '1', ALLOW_INSECURE: 'true', JWT_SECRET: 'replicas-share-this-secret-0123456789',
      AUTH_USERNAME: 'root', AUTH_PASSWORD: PASSWORD,
    };
    for (const name of ['a', 'b']) {
      const dir = await mkdtemp(join(tmpdir(), `aviary-replica-${name}-`));
      dirs.push(dir);
      procs.push(await startServiceProcess({ ...env, DATA_DIR: dir }));
    }
    const a = new Client('a', procs[0].port!);
    const b = new Client('b', procs[1].port!);
    await a.login();
    await b.login();

    // An archive of this installation, made and uploaded on A.
    const queued = await a.json('/api/admin/backup-job', { method: 'POST' });
    assert.equal(queued.status, 200, JSON.stringify(queued.body));
    let job: Record<string, unknown> = {};
    for (let i = 0; i < 1200 && job.status !== 'completed' && job.status !== 'failed'; i++) {
      await pause(100);
      job = (await a.json(`/api/admin/backup-job/${queued.body.job_id}`)).body;
    }
    assert.equal(job.status, 'completed', JSON.stringify(job));
    const archive = await (await a.call(`/api/admin/backup-job/${queued.body.job_id}/download`)).arrayBuffer();
    const form = new FormData();
    form.append('backup_file', new Blob([archive]), 'backup.tar.gz');
    const uploaded = await a.json('/api/admin/restore/upload', { method: 'POST', body: form });
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));

    const started = await a.json('/api/admin/restore', {
      method: 'POST', body: JSON.stringify({ upload_id: uploaded.body.upload_id, overwrite_database: true, overwrite_files: true, user_ids: [], async: true }),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = String(started.body.job_id);

    // Every poll goes to B, which did not start the restore.
    const seen: Record<string, unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      const res = await b.json(`/api/admin/restore/${runId}`);
      if (res.status === 401) {
        await b.login(); // the restore replaced the sessions table; the archive holds the same admin and password
        continue;
      }
      assert.equal(res.status, 200, JSON.stringify(res.body));
      seen.push(res.body);
      if (res.body.status !== 'running') break;
      await pause(50);
    }
    const last = seen.at(-1)!;
    assert.equal(last.status, 'completed', JSON.stringify(last));
    assert.equal(last.job_id, runId);
    assert.equal(last.progress, 100);
    assert.equal(last.error, null);
    assert.equal(typeof last.restore_id, 'string');
    assert.ok(((last.rows as Record<string, number>).users ?? 0) >= 1, 'the report counts the restored users');
    assert.ok(!JSON.stringify(seen).includes('password'), 'no secret-bearing fields in the status');

    // A run nobody started is unknown on both.
    const unknown = await b.json('/api/admin/restore/00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'restore_not_found');
  });
});
