import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from '@mikro-orm/knex';
import request from 'supertest';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import type { Env } from '../../src/plugins/plugin-api';
import { backendEnv, type BackendSetup } from '../support/backends';
import {
  dirHashes, expectedHashes, OLD_API_KEY, PAIRING_FILE_TEXT, type RunningService, singleUserLayout, startService,
  writeDocumentsToDir, writePairingFile,
} from '../support/single-user-layout';
import { TS_CHILD_ARGS } from '../support/child-node';

const root = join(__dirname, '..', '..');

interface Install {
  readonly dir: string;
  readonly dataDir: string;
  readonly pdfDir: string;
  readonly env: Env;
  readonly docs: Map<string, Buffer>;
}

/** A single-user install: PDF_DIR outside DATA_DIR (as in Aviary's image), a pairing file, API_KEY. */
async function singleUserInstall(extraEnv: Env = {}): Promise<Install> {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-s2m-'));
  const docs = singleUserLayout();
  const pdfDir = join(dir, 'app', 'pdfs');
  await writeDocumentsToDir(pdfDir, docs);
  await writePairingFile(join(dir, 'home', '.config', 'rmapi', 'rmapi.conf'));
  const dataDir = join(dir, 'data');
  return {
    dir, dataDir, pdfDir, docs,
    env: {
      DATA_DIR: dataDir, PDF_DIR: pdfDir, RMAPI_CONFIG_PATH: join(dir, 'home', '.config', 'rmapi', 'rmapi.conf'),
      API_KEY: OLD_API_KEY, MULTI_USER: 'true', AUTH_USERNAME: 'operator', AUTH_PASSWORD: 'correct horse battery',
      ...extraEnv,
    },
  };
}

const knexOf = (s: RunningService) => (s.service.container!.get<DatabaseBackend>(TOKENS.Database) as unknown as { knex: Knex }).knex;

async function adminRow(s: RunningService) {
  return knexOf(s)('users').where({ username: 'operator' }).first('id', 'rmapi_config', 'updated_at');
}

/** Everything a start could change: stored files, keys, the admin row, recorded runs. */
async function snapshot(s: RunningService, install: Install) {
  const k = knexOf(s);
  return {
    files: [...(await dirHashes(join(install.dataDir, 'users')))].sort(),
    single: [...(await dirHashes(install.pdfDir))],
    keys: await k('api_keys').orderBy('id').select('id', 'user_id', 'key_hash', 'key_prefix', 'is_active'),
    admin: await adminRow(s),
    runs: await k('aviary_migration_runs').orderBy('id').select('id', 'status', 'completed_at'),
  };
}

function migrationSuite(label: string, backend: () => Promise<BackendSetup | null>) {
  describe(`single-user → multi-user migration at start (${label})`, function () {
    let install: Install;
    let setup: BackendSetup | null;
    let s: RunningService | undefined;

    before(async function () {
      setup = await backend.call(this);
      install = await singleUserInstall(setup?.env);
    });
    after(async () => {
      await s?.stop();
      await setup?.cleanup();
      await rm(install.dir, { recursive: true, force: true });
    });

    it('the first start (empty users table, AUTH_USERNAME/AUTH_PASSWORD) moves everything into the new admin', async () => {
      s = await startService(install.env);
      const admin = await adminRow(s);
      assert.ok(admin, 'the admin was created');
      assert.deepEqual(await dirHashes(join(install.dataDir, 'users', admin.id, 'pdfs')), expectedHashes(install.docs));
      assert.deepEqual(await dirHashes(install.pdfDir), new Map(), 'no original left');
      assert.equal(admin.rmapi_config, PAIRING_FILE_TEXT);

      const keys = await knexOf(s)('api_keys').select('user_id', 'name', 'key_prefix');
      assert.equal(keys.length, 1);
      assert.equal(keys[0].user_id, admin.id);
      assert.equal(keys[0].name, 'Migrated from API_KEY env var');
      for (let i = 0; i + 4 <= OLD_API_KEY.length; i++) {
        assert.ok(!keys[0].key_prefix.includes(OLD_API_KEY.slice(i, i + 4)), `key_prefix ${keys[0].key_prefix} shows part of the key`);
      }

      const status = await request(s.app).get('/api/admin/status').set('X-API-Key', OLD_API_KEY);
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.equal(status.body.mode, 'multi_user');
      assert.equal((await request(s.app).get('/api/admin/status').set('Authorization', `Bearer ${OLD_API_KEY}`)).status, 200);
      assert.equal((await request(s.app).get('/api/admin/status').set('X-API-Key', `${OLD_API_KEY}x`)).status, 401);

      const runs = await request(s.app).get('/api/admin/migrations/single-to-multi/runs').set('X-API-Key', OLD_API_KEY);
      assert.equal(runs.status, 200);
      assert.equal(runs.body.runs.length, 1);
      const [run] = runs.body.runs;
      assert.equal(run.status, 'completed');
      assert.equal(run.admin_user_id, null, 'started by the service, not by a caller');
      assert.equal(run.report.moved.length, install.docs.size);
      assert.equal(run.report.bytes, [...install.docs.values()].reduce((n, b) => n + b.length, 0));
      assert.equal(run.report.pairing, 'migrated');
      assert.equal(run.report.api_key, 'created');
      assert.ok(run.report.moved.some((m: { from: string; to: string }) => m.from === 'Books/Vol..2.pdf' && m.to === `users/${admin.id}/pdfs/Books/Vol..2.pdf`));
      const body = JSON.stringify(runs.body);
      assert.ok(!body.includes(install.dir) && !body.includes(OLD_API_KEY) && !body.includes('devicetoken'), 'no server paths or secrets');
    });

    it('a second start changes nothing: same files and hashes, no new key, no new run, same pairing', async () => {
      const before = await snapshot(s!, install);
      await s!.stop();
      s = await startService(install.env);
      assert.deepEqual(await snapshot(s, install), before);
      const preview = await request(s.app).get('/api/admin/migrations/single-to-multi').set('X-API-Key', OLD_API_KEY);
      assert.equal(preview.body.pending, false);
      assert.equal(preview.body.api_key, 'already-present');
    });
  });
}

migrationSuite('SQLite + filesystem', async () => null);
migrationSuite('PostgreSQL + filesystem', async function (this: Mocha.Context) {
  return backendEnv(this, 'postgres', 'filesystem');
});

describe('single-user → multi-user migration interrupted by a kill (SQLite + filesystem)', () => {
  let install: Install;
  let s: RunningService | undefined;
  before(async () => {
    install = await singleUserInstall();
  });
  after(async () => {
    await s?.stop();
    await rm(install.dir, { recursive: true, force: true });
  });

  it('a process killed after a verified copy (before deleting its original) is finished by the next start', async () => {
    const stopAfter = 4;
    const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/support/single-to-multi-child.ts'], {
      cwd: root,
      env: { ...process.env, ...install.env, STOP_AFTER_COPIES: String(stopAfter), ALLOW_INSECURE: 'true' } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        stdout += d;
        if (/PAUSED \d+/.test(stdout)) resolve();
        if (/FINISHED/.test(stdout)) reject(new Error('the child finished before it could be killed'));
      });
      child.on('exit', () => reject(new Error(`child exited early: ${stdout} ${stderr}`)));
    });
    child.kill('SIGKILL');
    await exited;

    // The state a kill leaves behind: some moved, one copied but its original still there, the rest untouched.
    const left = await dirHashes(install.pdfDir);
    const copiedTo = (await dirHashes(join(install.dataDir, 'users')));
    assert.equal(copiedTo.size, stopAfter);
    assert.equal(left.size, install.docs.size - (stopAfter - 1));
    const both = [...copiedTo.keys()].map((k) => k.split('/').slice(2).join('/')).filter((p) => left.has(p));
    assert.equal(both.length, 1, 'exactly one document exists at both places');

    s = await startService(install.env);
    const admin = await adminRow(s);
    assert.deepEqual(await dirHashes(join(install.dataDir, 'users')), new Map([...expectedHashes(install.docs)].map(([p, h]) => [`${admin.id}/pdfs/${p}`, h])),
      'every document exactly once at the target, byte for byte');
    assert.deepEqual(await dirHashes(install.pdfDir), new Map());
    assert.deepEqual(await dirHashes(join(install.dataDir, '.aviary-tmp')), new Map(), 'no temp files left');

    const runsResponse = await request(s.app).get('/api/admin/migrations/single-to-multi/runs').set('X-API-Key', OLD_API_KEY);
    assert.equal(runsResponse.status, 200, JSON.stringify(runsResponse.body));
    const runs = runsResponse.body.runs;
    assert.deepEqual(runs.map((r: { status: string }) => r.status), ['completed', 'failed']);
    assert.match(runs[1].report?.error ?? JSON.stringify(runs[1].report), /interrupted/);
    const resumed = runs[0].report.moved.filter((m: { resumed?: boolean }) => m.resumed);
    assert.deepEqual(resumed.map((m: { from: string }) => m.from), both);
    assert.equal(runs[0].report.moved.length, install.docs.size - (stopAfter - 1));
    assert.equal(runs[0].report.api_key, 'already-present', 'the killed run had created the key already');
    assert.equal((await knexOf(s)('api_keys').count({ n: '*' }))[0].n, 1);
  });
});
