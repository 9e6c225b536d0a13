import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/testing/standalone-server';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const MB = 1024 ** 2;
const PASSWORD = 'memory-test-password';
/**
 * Rows of the generated database archive: enough that the row path (analysis, spool, insert)
 * dominates. AVIARY_SERVER_MEMORY_ROWS=1.59M runs the same check at the size of a busy install
 * (docs/performance.md), too slow for every run of the suite.
 */
const ARCHIVE_ROWS = process.env.AVIARY_SERVER_MEMORY_ROWS ?? '300K';

/** `node dist/server.js` as production starts it (SQLite, filesystem storage), reporting its own peak RSS at exit. */
class ServerChild {
  private constructor(
    private readonly child: ChildProcess,
    private readonly rssFile: string,
    readonly base: string,
    private readonly stderr: () => string,
  ) {}

  static async start(dir: string): Promise<ServerChild> {
    const port = await freePort();
    const rssFile = join(dir, 'max-rss');
    const env = {
      ...process.env, DATA_DIR: join(dir, 'data'), DB_TYPE: 'sqlite', DB_PATH: join(dir, 'aviary.db'), STORAGE_BACKEND: 'filesystem',
      ALLOW_INSECURE: 'true', AUTH_USERNAME: 'admin', AUTH_PASSWORD: PASSWORD, PORT: String(port), LOG_LEVEL: 'error',
      AVIARY_TEST_RSS_FILE: rssFile,
    };
    const child = spawn(process.execPath, ['-r', join(root, 'test', 'support', 'report-max-rss.js'), join(root, 'dist', 'server.js')], {
      cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    // A bound for a hung start, not a timing.
    for (let waited = 0; !/listening on/.test(stderr); waited += 50) {
      if (child.exitCode !== null || waited > 120_000) throw new Error(`the server did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return new ServerChild(child, rssFile, `http://127.0.0.1:${port}`, () => stderr);
  }

  /** Stops the server (SIGTERM, its graceful exit) and returns its peak RSS. */
  async stop(): Promise<number> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    return Number(await readFile(this.rssFile, 'utf8'));
  }

  log(): string {
    return this.stderr().slice(-1000);
  }
}

class AdminClient {
  private cookie = '';

  constructor(private readonly base: string) {}

  async login(): Promise<void> {
    const res = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    assert.equal(res.status, 200, await res.text());
    this.cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const form = body instanceof FormData;
    const res = await fetch(`${this.base}/api/admin${path}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined || form ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Upload → analyze: the analysis, as the admin page shows it. */
  async uploadAndAnalyze(archive: string): Promise<{ uploadId: string; valid: boolean; errors: string[] }> {
    const form = new FormData();
    form.append('backup_file', await openAsBlob(archive), basename(archive));
    const upload = await this.call('POST', '/restore/upload', form);
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    const analysis = await this.call('POST', `/restore/uploads/${upload.body.upload_id}/analyze`);
    assert.equal(analysis.status, 200, JSON.stringify(analysis.body));
    return { uploadId: upload.body.upload_id, valid: analysis.body.valid, errors: analysis.body.metadata.errors };
  }
}

/**
 * The HTTP server's own peak RSS over upload → analyze → restore, for the archives that used to
 * peak highest: the hostile ones read at analysis, then a generated database archive whose rows go
 * through the whole row path. One server process takes them all, as a long-running service would;
 * the bound is the service's memory goal for any archive below the upload cap.
 */
describe('the HTTP server restores with bounded memory', function () {
  this.timeout(600_000);
  let dir: string;
  let archive: string;

  before(async () => {
    await run(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root });
    dir = await mkdtemp(join(tmpdir(), 'aviary-server-memory-'));
    archive = join(dir, 'rows.tar.gz');
    const source = join(dir, 'source');
    await mkdir(source);
    await run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/seed-aviary-db.ts',
      '--engine', 'sqlite', '--scale', ARCHIVE_ROWS, '--out', join(source, 'aviary.db')], { cwd: root });
    const env = { ...process.env, DATA_DIR: join(source, 'data'), DB_TYPE: 'sqlite', DB_PATH: join(source, 'aviary.db'), STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'error' };
    await run(process.execPath, [join(root, 'dist', 'cli.js'), 'backup', 'create', '--no-files', '--output', archive], { cwd: root, env });
    await rm(source, { recursive: true, force: true });
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`refuses the hostile archives at analysis, restores ${ARCHIVE_ROWS} rows, peak RSS below 200 MB`, async () => {
    const server = await ServerChild.start(join(dir, 'server'));
    let peak: number;
    try {
      const admin = new AdminClient(server.base);
      await admin.login();
      for (const [fixture, reason] of [
        ['legacy-rmapi-300mb.tar.gz', /more than the limit/],
        ['checksums-320mb-blank-lines.tar.gz', /more than the limit/],
        ['random-then-zeros.tar.gz', /above the per-entry limit/],
      ] as const) {
        const analysis = await admin.uploadAndAnalyze(join(root, 'test', 'fixtures', 'archives', 'hostile', fixture));
        assert.equal(analysis.valid, false, fixture);
        assert.match(analysis.errors.join('\n'), reason);
      }
      const rows = await admin.uploadAndAnalyze(archive);
      assert.ok(rows.valid, rows.errors.join('\n'));
      const restore = await admin.call('POST', '/restore', {
        upload_id: rows.uploadId, overwrite_database: true, overwrite_files: true, confirm_no_admin: true,
      });
      assert.equal(restore.status, 200, `${JSON.stringify(restore.body)}\n${server.log()}`);
      assert.equal(restore.body.success, true);
    } finally {
      peak = await server.stop();
    }
    console.log(`      server peak RSS ${Math.round(peak / MB)} MB`);
    assert.ok(peak < 200 * MB, `peak RSS ${Math.round(peak / MB)} MB`);
  });
});

/**
 * The server builds its Prometheus registry (prom-client and the OpenTelemetry API it loads) when
 * first scraped, not at start: a restore-only process never carries it. Checked in a child, whose
 * module cache holds only what the service loaded.
 */
describe('the HTTP server loads prom-client on first use', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    await run(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root });
    dir = await mkdtemp(join(tmpdir(), 'aviary-server-metrics-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('not at start; the first scrape loads it and answers the metrics', async () => {
    const script = `
      const { once } = require('node:events');
      const { createAviaryBackup } = require('./dist/aviary-backup');
      const loaded = () => Object.keys(require.cache).some((k) => k.includes(${JSON.stringify(`${sep}node_modules${sep}prom-client${sep}`)}));
      (async () => {
        const service = createAviaryBackup({ env: process.env });
        await service.start();
        const atStart = loaded();
        const app = require('express')();
        app.use(service.router);
        const server = app.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const res = await fetch('http://127.0.0.1:' + server.address().port + '/metrics');
        const text = await res.text();
        process.stdout.write(JSON.stringify({ atStart, afterScrape: loaded(), status: res.status, restores: /aviary_backup_restores_total/.test(text) }));
        server.close();
        await service.close();
      })();`;
    const env = { ...process.env, DATA_DIR: join(dir, 'data'), DB_TYPE: 'sqlite', DB_PATH: join(dir, 'aviary.db'), STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'error' };
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root, env });
    assert.deepEqual(JSON.parse(stdout), { atStart: false, afterScrape: true, status: 200, restores: true });
  });
});
