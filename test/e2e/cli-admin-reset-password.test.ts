import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { adminCommand } from '../../src/adapters/cli/admin.command';
import { openCliServices } from '../../src/cli-services';
import { createAviaryBackup } from '../../src/aviary-backup';
import { silentLogger } from '../support/service';

/** A lost initial password is recovered from a shell on the host, with the same DATA_DIR and database. */
describe('aviary-backup admin reset-password USER', () => {
  let dataDir: string;
  const env = () => ({ DATA_DIR: dataDir, ALLOW_INSECURE: 'true', LOG_LEVEL: 'warn' });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-reset-'));
    const first = createAviaryBackup({ env: env(), logger: silentLogger });
    await first.start();
    await first.close();
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  async function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => (out += d));
    stderr.on('data', (d) => (err += d));
    const code = await adminCommand.run(args, { stdout, stderr, env: env(), stdin: stdin === undefined ? undefined : Readable.from([stdin]), open: openCliServices });
    return { code, stdout: out, stderr: err };
  }

  async function loginStatus(username: string, password: string): Promise<number> {
    const service = createAviaryBackup({ env: env(), logger: silentLogger });
    await service.start();
    try {
      const app = express();
      app.use(service.router);
      return (await request(app).post('/api/auth/login').send({ username, password })).status;
    } finally {
      await service.close();
    }
  }

  it('prints a new random password once; it works, the old one and the stale initial-password file do not', async () => {
    const old = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim();
    const result = await run(['reset-password', 'admin']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'stdout is the password alone, for scripts');
    const fresh = lines[0];
    assert.ok(fresh.length >= 16 && fresh !== old);
    assert.match(result.stderr, /admin/);
    await assert.rejects(access(join(dataDir, 'initial-admin-password')), 'the file no longer holds a working password');
    assert.equal(await loginStatus('admin', fresh), 200);
    assert.equal(await loginStatus('admin', old), 401);
  });

  it('--password-stdin sets the password read from stdin and prints nothing secret', async () => {
    const result = await run(['reset-password', 'admin', '--password-stdin'], 'a chosen passphrase\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(await loginStatus('admin', 'a chosen passphrase'), 200);
  });

  it('refuses an unknown user (exit 1) and a short password (exit 2), changing nothing', async () => {
    const unknown = await run(['reset-password', 'nobody']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /nobody/);
    const short = await run(['reset-password', 'admin', '--password-stdin'], 'short\n');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8/);
    const old = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim();
    assert.equal(await loginStatus('admin', old), 200);
  });
});
