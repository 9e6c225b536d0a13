import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../src/testing/standalone-server';
import { waitFor } from '../support/wait';
import { TS_CHILD_ARGS } from '../support/child-node';

const root = join(__dirname, '..', '..');

function startServer(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('the standalone server process (npm start)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-server-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('serves on the configured port, prints the first admin password once, and stops cleanly on SIGTERM', async function () {
    this.timeout(300_000); // starting the server compiles it first; slow on a loaded machine
    const port = await freePort();
    const server = startServer({ DATA_DIR: dataDir, PORT: String(port), ALLOW_INSECURE: 'true' });
    try {
      await waitFor(() => server.output().includes('listening on') || server.child.exitCode !== null, 'the server to listen', 280_000);
      assert.ok(server.output().includes('listening on'), server.output());
      const password = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim();
      assert.ok(server.output().includes(password), 'the generated password is printed to the log');
      const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      assert.equal(login.status, 200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const check = (await (await fetch(`http://127.0.0.1:${port}/api/auth/check`, { headers: { cookie } })).json()) as { authenticated: boolean; user: { is_admin: boolean } };
      assert.equal(check.authenticated, true);
      assert.equal(check.user.is_admin, true);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0, server.output());
  });

  it('refuses to start on bad configuration, naming every variable, exit code 2', async () => {
    const server = startServer({ DATA_DIR: dataDir, PORT: 'abc', DB_TYPE: 'mysql', STORAGE_BACKEND: 's3', S3_BUCKET: 'b' });
    const code = await server.exited;
    assert.equal(code, 2);
    const out = server.output();
    for (const name of ['PORT', 'DB_TYPE', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) assert.match(out, new RegExp(name));
  });
});
