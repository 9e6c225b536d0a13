/**
 * The standalone server of this installed package (`dist/server.js`), started in a child process the
 * way a deployment starts it, for a plugin's end-to-end tests: `AVIARY_PLUGINS` and the kind variables
 * come from `env`. Resolves once `/readyz` answers 200, logged in as the administrator it was given.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface ApiResponse {
  readonly status: number;
  /** Parsed JSON, or the raw bytes of any other answer. */
  readonly body: any;
}

export interface StandaloneServer {
  readonly base: string;
  /** What `/readyz` answered: `{ status, database: { kind, … }, storage: { kind, … } }`. */
  readonly ready: { status: string; database: { kind: string }; storage: { kind: string } };
  /** One HTTP call with the administrator's session; a FormData body goes as multipart. */
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** POST /api/admin/backup-job, waited for; the finished job and its archive. */
  backup(): Promise<{ job: Record<string, any>; archive: Buffer }>;
  /** Upload, analyze (must be valid) and restore everything, overwriting database and files. */
  restore(archive: Buffer, filename?: string): Promise<ApiResponse>;
  /** What the process printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

const ADMIN = { username: 'plugin-test-admin', password: 'plugin-test-password-1' };

/** A TCP port on 127.0.0.1 that was free a moment ago (for a child server to listen on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `env` is added to this process's environment (PORT, ALLOW_INSECURE and the administrator are set
 * here); `cwd` is where package names in AVIARY_PLUGINS are looked up first.
 */
export async function startStandaloneServer(env: Record<string, string>, options: { cwd?: string; readyWithinMs?: number } = {}): Promise<StandaloneServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(__dirname, '..', 'server.js')], {
    cwd: options.cwd ?? process.cwd(),
    env: {
      ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), ALLOW_INSECURE: 'true',
      AUTH_USERNAME: ADMIN.username, AUTH_PASSWORD: ADMIN.password,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stdout!.on('data', (d) => (printed += d));
  child.stderr!.on('data', (d) => (printed += d));
  const fail = async (why: string): Promise<never> => {
    await stopChild(child);
    throw new Error(`the standalone server ${why}:\n${printed.slice(-4000)}`);
  };

  let ready: StandaloneServer['ready'] | undefined;
  const deadline = Date.now() + (options.readyWithinMs ?? 120_000);
  while (!ready) {
    if (child.exitCode !== null) return fail(`exited with code ${child.exitCode}`);
    if (Date.now() > deadline) return fail('did not answer /readyz with 200 in time');
    const answer = await fetch(`${base}/readyz`).catch(() => undefined);
    if (answer?.status === 200) ready = (await answer.json()) as StandaloneServer['ready'];
    else await sleep(100);
  }

  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN),
  });
  if (login.status !== 200) return fail(`refused the administrator's login (${login.status})`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];

  const api = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const form = body instanceof FormData;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, ...(body !== undefined && !form ? { 'content-type': 'application/json' } : {}) },
      body: form ? body : body === undefined ? undefined : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
  };
  const expectOk = (what: string, res: ApiResponse) => {
    if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res;
  };

  return {
    base,
    ready,
    api,
    async backup() {
      const { body: created } = expectOk('POST /api/admin/backup-job', await api('POST', '/api/admin/backup-job'));
      let job: Record<string, any>;
      for (;;) {
        job = expectOk('GET backup-job', await api('GET', `/api/admin/backup-job/${created.job_id}`)).body;
        if (job.status !== 'pending' && job.status !== 'running') break;
        await sleep(100);
      }
      if (job.status !== 'completed') throw new Error(`the backup ${job.status}: ${JSON.stringify(job)}`);
      const archive = expectOk('download', await api('GET', `/api/admin/backup-job/${created.job_id}/download`)).body as Buffer;
      return { job, archive };
    },
    async restore(archive, filename = 'backup.tar.gz') {
      const form = new FormData();
      form.append('backup_file', new Blob([archive]), filename);
      const { body: uploaded } = expectOk('upload', await api('POST', '/api/admin/restore/upload', form));
      const { body: analysis } = expectOk('analyze', await api('POST', `/api/admin/restore/uploads/${uploaded.upload_id}/analyze`));
      if (analysis.valid !== true) throw new Error(`the archive was judged invalid: ${JSON.stringify(analysis)}`);
      return expectOk(
        'restore',
        await api('POST', '/api/admin/restore', { upload_id: uploaded.upload_id, overwrite_database: true, overwrite_files: true, user_ids: [] }),
      );
    },
    output: () => printed,
    stop: () => stopChild(child),
  };
}
