import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TS_CHILD_ARGS } from '../support/child-node';

const root = join(__dirname, '..', '..');

function runHost(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/e2e/host/embedded-host.ts'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('embedding in a host Express app', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-embed-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('mounts under /aviary beside the host routes, and close() lets the process exit by itself', async () => {
    const run = await runHost(dataDir);
    assert.equal(run.code, 0, `host exited with ${run.code}: ${run.stderr}`);
    const r = JSON.parse(run.stdout.trim().split('\n').pop()!);
    assert.equal(r.beforeStartStatus, 503, 'router answers 503 before start()');
    assert.equal(r.home, 'host home');
    assert.deepEqual(r.echo, { echoed: { a: 1 } }, "host's own body parser and routes still work");
    assert.deepEqual(r.health, { status: 'ok' });
    assert.equal(r.loginStatus, 200);
    assert.equal(r.check.authenticated, true);
    assert.equal(r.check.user.username, 'owner');
    assert.equal(r.hostMissing, 'host 404', "host's fallback still answers outside /aviary");
    assert.ok(r.seen.includes('/aviary/api/auth/login'), "host middleware sees the service's requests");
    assert.equal(r.afterClose, 503, 'router answers 503 after close()');
  });
});
