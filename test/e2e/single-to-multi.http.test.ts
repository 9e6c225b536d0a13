import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from '@mikro-orm/knex';
import request from 'supertest';
import type { AccountStore } from '../../src/application/ports/account-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { BACKUP_RESTORE_LOCK } from '../../src/application/ports/lock-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { otherHolder } from '../fakes/in-memory.lock-store';
import {
  dirHashes, expectedHashes, type RunningService, singleUserLayout, startService, writeDocumentsToDir, writePairingFile,
} from '../support/single-user-layout';

const PATH = '/api/admin/migrations/single-to-multi';

describe('single-user → multi-user migration over HTTP (admin endpoints)', () => {
  let dir: string;
  let pdfDir: string;
  let pairingPath: string;
  let s: RunningService;
  let admin: string;
  let user: string;

  const db = () => s.service.container!.get<DatabaseBackend>(TOKENS.Database);
  const knex = () => (db() as unknown as { knex: Knex }).knex;

  async function login(username: string, password: string): Promise<string> {
    const res = await request(s.app).post('/api/auth/login').send({ username, password });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.headers['set-cookie'][0].split(';')[0];
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-s2m-http-'));
    pdfDir = join(dir, 'single', 'pdfs');
    pairingPath = join(dir, 'rmapi.conf');
    s = await startService({
      DATA_DIR: join(dir, 'data'), PDF_DIR: pdfDir, RMAPI_CONFIG_PATH: pairingPath,
      MULTI_USER: 'yes', AUTH_USERNAME: 'boss', AUTH_PASSWORD: 'boss password 1',
    });
    const hasher = new BcryptPasswordHasher(4);
    await s.service.container!.get<AccountStore>(TOKENS.AccountStore)
      .createUser({ username: 'plain', email: 'plain@x', passwordHash: await hasher.hash('plain password'), isAdmin: false });
    admin = await login('boss', 'boss password 1');
    user = await login('plain', 'plain password');
  });
  after(async () => {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('401 without credentials and 403 for a non-admin on every endpoint', async () => {
    for (const [method, path] of [['get', PATH], ['post', PATH], ['get', `${PATH}/runs`]] as const) {
      const anonymous = await request(s.app)[method](path);
      assert.equal(anonymous.status, 401, `${method} ${path}`);
      assert.deepEqual(anonymous.body.error, 'Authentication required');
      const forbidden = await request(s.app)[method](path).set('Cookie', user);
      assert.equal(forbidden.status, 403, `${method} ${path}`);
    }
  });

  it('with nothing to migrate, the preview says so and creates nothing (not even PDF_DIR)', async () => {
    const res = await request(s.app).get(PATH).set('Cookie', admin);
    assert.equal(res.status, 200);
    assert.equal(res.body.pending, false);
    assert.deepEqual(res.body.documents, { count: 0, total_bytes: 0, files: [] });
    assert.deepEqual(res.body.pairing, { present: false, will_apply: false });
    assert.equal(res.body.api_key, 'not-configured');
    assert.equal(res.body.target_user.username, 'boss');
    await assert.rejects(access(pdfDir), 'PDF_DIR was not created');
  });

  describe('with single-user data present', () => {
    let docs: Map<string, Buffer>;
    before(async () => {
      docs = singleUserLayout();
      await writeDocumentsToDir(pdfDir, docs);
      await writePairingFile(pairingPath);
    });

    it('GET previews the right counts and bytes, relative paths only, and changes nothing', async () => {
      const rowsBefore = await knex()('users').orderBy('id').select();
      const res = await request(s.app).get(PATH).set('Cookie', admin);
      assert.equal(res.status, 200);
      assert.equal(res.body.pending, true);
      assert.equal(res.body.documents.count, docs.size);
      assert.equal(res.body.documents.total_bytes, [...docs.values()].reduce((n, b) => n + b.length, 0));
      assert.deepEqual(
        res.body.documents.files.map((f: { path: string; size: number; action: string }) => [f.path, f.size, f.action]).sort(),
        [...docs].map(([p, b]) => [p, b.length, 'move']).sort(),
      );
      assert.deepEqual(res.body.pairing, { present: true, will_apply: true });
      assert.ok(!JSON.stringify(res.body).includes(dir), 'no server path');
      assert.ok(!JSON.stringify(res.body).includes('devicetoken'), 'no pairing secret');
      assert.deepEqual(await dirHashes(pdfDir), expectedHashes(docs));
      assert.deepEqual(await knex()('users').orderBy('id').select(), rowsBefore);
      assert.equal((await knex()('aviary_migration_runs').count({ n: '*' }))[0].n, 0);
    });

    it('POST answers 409 while a backup or restore holds the lock, and changes nothing', async () => {
      assert.ok(await db().locks.acquire(BACKUP_RESTORE_LOCK, otherHolder('backup', 'elsewhere'), 60_000, 'backup'));
      try {
        const res = await request(s.app).post(PATH).set('Cookie', admin);
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'operation_in_progress');
      } finally {
        await db().locks.release(BACKUP_RESTORE_LOCK, otherHolder('backup', 'elsewhere'));
      }
      assert.deepEqual(await dirHashes(pdfDir), expectedHashes(docs));
    });

    it('two POSTs at once: one runs and reports what it moved, the other gets 409', async () => {
      const [a, b] = await Promise.all([request(s.app).post(PATH).set('Cookie', admin), request(s.app).post(PATH).set('Cookie', admin)]);
      assert.deepEqual([a.status, b.status].sort(), [200, 409]);
      const report = (a.status === 200 ? a : b).body;
      const adminId = (await knex()('users').where({ username: 'boss' }).first('id')).id;
      assert.equal(report.status, 'completed');
      assert.equal(report.target_user_id, adminId);
      assert.equal(report.moved.length, docs.size);
      assert.equal(report.bytes, [...docs.values()].reduce((n, x) => n + x.length, 0));
      assert.equal(report.pairing, 'migrated');
      assert.equal(report.api_key, 'not-configured');
      assert.deepEqual(await dirHashes(join(dir, 'data', 'users', adminId, 'pdfs')), expectedHashes(docs));
      assert.deepEqual(await dirHashes(pdfDir), new Map());

      const runs = await request(s.app).get(`${PATH}/runs`).set('Cookie', admin);
      assert.equal(runs.status, 200);
      assert.equal(runs.body.runs.length, 1);
      assert.equal(runs.body.runs[0].id, report.run_id);
      assert.equal(runs.body.runs[0].admin_user_id, adminId);
      assert.deepEqual(runs.body.runs[0].report.moved, report.moved);

      const again = await request(s.app).post(PATH).set('Cookie', admin);
      assert.equal(again.status, 200);
      assert.deepEqual([again.body.moved, again.body.pairing], [[], 'kept-existing']);
    });
  });
});
