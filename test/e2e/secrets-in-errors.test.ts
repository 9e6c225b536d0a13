import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { ConsoleLogger } from '../../src/adapters/system/console.logger';
import { ourArchive, type SimpleEntry } from '../support/archive-builder';
import { backendEnv, BackendSetup, DatabaseKind } from '../support/backends';
import { startTestService, TestService } from '../support/service';

const FIXTURE = join(__dirname, '..', 'fixtures', 'archives', 'historical', 'go-metadata-first.tar.gz');
const ADMIN_ID = '3f2b1c4e-8a6d-4e2f-9b1a-0c5d7e9f1a2b';
const ALICE_ID = '6a1e0f3c-2b4d-4c6e-8f0a-1b2c3d4e5f60';
const ARCHIVE_ADMIN = { username: 'admin', password: 'correct horse battery staple' };

/** The fixture's entries, read with a minimal tar walk (short names, no pax headers). */
function fixtureEntries(): SimpleEntry[] {
  const tar = gunzipSync(readFileSync(FIXTURE));
  const entries: SimpleEntry[] = [];
  for (let off = 0; off + 512 <= tar.length && tar[off] !== 0; ) {
    const name = tar.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
    const size = parseInt(tar.toString('latin1', off + 124, off + 136).replace(/\0.*$/s, '').trim(), 8);
    const regular = tar[off + 156] === 0x30 || tar[off + 156] === 0;
    if (regular && !name.endsWith('/')) entries.push({ name, body: tar.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

type Rows = Record<string, unknown>[];

/** The fixture with its tables edited; metadata counts follow the users table. */
async function archiveWith(edit: (tables: Record<string, Rows>) => void): Promise<Buffer> {
  const entries = fixtureEntries();
  const tables: Record<string, Rows> = {};
  for (const e of entries) {
    const m = /^database\/(\w+)\.json$/.exec(e.name);
    if (m) tables[m[1]] = JSON.parse(Buffer.from(e.body).toString('utf8')) ?? [];
  }
  edit(tables);
  return ourArchive(
    entries.map((e) => {
      const m = /^database\/(\w+)\.json$/.exec(e.name);
      if (m) return { name: e.name, body: JSON.stringify(tables[m[1]]) };
      if (e.name === 'metadata.json') {
        const meta = JSON.parse(Buffer.from(e.body).toString('utf8'));
        return { name: e.name, body: JSON.stringify({ ...meta, total_users: tables.users.length, total_api_keys: tables.api_keys.length }) };
      }
      return e;
    }),
  );
}

for (const dbKind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`no secret in any error body or log line (${dbKind})`, function () {
    const hasher = new BcryptPasswordHasher(4);
    const logLines: string[] = [];
    const bodies: { what: string; text: string }[] = [];
    const secrets: string[] = [];
    let setup: BackendSetup;
    let t: TestService;
    let cookie: string;
    let passwordHash: string;
    let keyHash: string;
    const deviceToken = `device-token-${randomUUID()}`;
    const userToken = `user-token-${randomUUID()}`;
    const resetToken = `reset-token-${randomUUID()}`;

    before(async function () {
      setup = await backendEnv(this, dbKind, 'filesystem');
      passwordHash = await hasher.hash(`alice-${randomUUID()}`);
      keyHash = await hasher.hash(`aviary_${randomUUID()}`);
      // A bcrypt hash is `$2b$cc$` + 22 characters of salt + 31 of digest: no part may appear anywhere,
      // nor the random part of a token, whole or cut short.
      for (const hash of [passwordHash, keyHash]) secrets.push(hash.slice(7, 29), hash.slice(29));
      for (const token of [deviceToken, userToken, resetToken]) secrets.push(token.slice(-36, -18), token.slice(-18));
      t = await startTestService(
        { ...setup.env, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' },
        { logger: new ConsoleLogger('debug', (line) => logLines.push(line)) },
      );
      cookie = await login('root', 'root-password-1');
    });
    after(async () => {
      await t?.stop();
      await setup?.cleanup();
    });

    async function login(username: string, password: string): Promise<string> {
      const res = await request(t.app).post('/api/auth/login').send({ username, password });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.headers['set-cookie'][0].split(';')[0];
    }

    const keep = (what: string, res: request.Response) => bodies.push({ what, text: res.text ?? JSON.stringify(res.body) });

    /** Alice carries every seeded secret. */
    function seedSecrets(tables: Record<string, Rows>): Rows {
      const alice = tables.users.find((u) => u.id === ALICE_ID)!;
      Object.assign(alice, {
        password: passwordHash,
        reset_token: resetToken,
        rmapi_config: `[device]\ndevicetoken = ${deviceToken}\n[user]\nusertoken = ${userToken}\n`,
      });
      tables.api_keys.push({ ...tables.api_keys[0], id: randomUUID(), user_id: ALICE_ID, key_hash: keyHash, key_prefix: 'aviary_secret000' });
      return tables.users;
    }

    /** Upload, analyze, restore (sync and async); every answer is kept for the scan. */
    async function restoreOverHttp(what: string, archive: Buffer, userIds: string[] = []): Promise<number> {
      const upload = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', archive, 'aviary_backup.tar.gz');
      keep(`${what}: upload`, upload);
      assert.equal(upload.status, 200, upload.text);
      const id = upload.body.upload_id as string;
      keep(`${what}: analyze`, await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', cookie));
      const body = { upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: userIds, safety_backup: false, force: true };
      const res = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body);
      keep(`${what}: restore`, res);
      if (res.status === 200) {
        // Restored harmlessly: the archive's admin is the one who exists now.
        cookie = await login(ARCHIVE_ADMIN.username, ARCHIVE_ADMIN.password);
        return res.status;
      }
      // The same failure once more as a background restore: its status carries the error too.
      const started = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ ...body, async: true });
      keep(`${what}: async restore`, started);
      assert.equal(started.status, 202, started.text);
      for (;;) {
        const status = await request(t.app).get(`/api/admin/restore/${started.body.job_id}`).set('Cookie', cookie);
        keep(`${what}: restore status`, status);
        if (status.status !== 200 || status.body.status !== 'running') break;
        await new Promise((r) => setImmediate(r));
      }
      return res.status;
    }

    it('a unique clash on restore (a restored user named like a kept one) answers without values', async () => {
      const archive = await archiveWith((tables) => {
        const users = seedSecrets(tables);
        // Valid in itself; clashes on users.username with the kept user "root" when only alice is restored.
        Object.assign(users.find((u) => u.id === ALICE_ID)!, { username: 'root' });
      });
      const status = await restoreOverHttp('unique clash', archive, [ALICE_ID]);
      assert.notEqual(status, 200, 'the clash is refused');
      assert.equal((await request(t.app).get('/api/auth/check').set('Cookie', cookie)).body.authenticated, true, 'nothing changed');
    });

    it('a value the database or the validator refuses (NUL in text, a mistyped secret) answers without values', async () => {
      const archive = await archiveWith((tables) => {
        seedSecrets(tables);
        tables.user_sessions.push({
          id: randomUUID(), user_id: ALICE_ID, token_hash: passwordHash, expires_at: '2030-01-01T00:00:00Z',
          created_at: '2025-08-01T00:00:00Z', last_used: '2025-08-01T00:00:00Z', user_agent: `agent\u0000${userToken}`,
          ip_address: '10.0.0.1',
        });
      });
      await restoreOverHttp('bad value', archive);
      const mistyped = await archiveWith((tables) => {
        seedSecrets(tables);
        // A secret column holding the wrong type: the analysis names the column, never the value.
        tables.api_keys[1].key_hash = [keyHash];
        tables.users.find((u) => u.id === ALICE_ID)!.rmapi_config = { device: deviceToken };
      });
      assert.notEqual(await restoreOverHttp('mistyped secret', mistyped), 200);
    });

    it('driver errors raised by the stores (unique, foreign key) carry no values', async () => {
      const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
      const errors: unknown[] = [];
      const anyAdmin = (await db.accounts.findFirstAdmin())!;
      await db.accounts.createApiKey({ userId: randomUUID(), name: 'orphan', keyHash, keyPrefix: 'aviary_orphan000' }).catch((e) => errors.push(e));
      await db.accounts
        .createUser({ username: anyAdmin.username, email: `${resetToken}@example.org`, passwordHash, isAdmin: false })
        .catch((e) => errors.push(e));
      await db.records
        .writeTransaction((w) => w.insert('api_keys', [{ id: randomUUID(), user_id: randomUUID(), name: 'x', key_hash: keyHash, key_prefix: 'aviary_orphan001' }]))
        .catch((e) => errors.push(e));
      await db.records
        .writeTransaction((w) => w.insert('users', [{ id: randomUUID(), username: anyAdmin.username, email: `${userToken}@x.org`, password: passwordHash }]))
        .catch((e) => errors.push(e));
      assert.equal(errors.length, 4, 'every call failed');
      for (const [i, e] of errors.entries()) {
        const err = e as Error & { code?: string; category?: string };
        assert.equal(typeof err.category, 'string', `error ${i} is a domain error: ${err.name}`);
        bodies.push({ what: `store error ${i}`, text: `${err.message}\n${err.stack}\n${JSON.stringify(err)}\n${String(err)}` });
      }
    });

    it('no response body and no log line holds a seeded hash or token', () => {
      if (process.env.SHOW_BODIES) for (const b of bodies) console.log(b.what, b.text.slice(0, 400));
      assert.ok(bodies.length >= 10);
      assert.ok(logLines.length > 0);
      const leaks: string[] = [];
      for (const secret of secrets) {
        for (const b of bodies) if (b.text.includes(secret)) leaks.push(`${b.what}: ${b.text.slice(0, 300)}`);
        for (const line of logLines) if (line.includes(secret)) leaks.push(`log: ${line.slice(0, 300)}`);
      }
      assert.deepEqual(leaks, []);
    });
  });
}
