import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import type { AccountStore } from '../../src/application/ports/account-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { startTestService, TestService } from '../support/service';

describe('auth over HTTP (SQLite + filesystem)', () => {
  let t: TestService;
  let password: string;
  const hasher = new BcryptPasswordHasher(4);

  before(async () => {
    t = await startTestService({ LOGIN_MAX_FAILURES: '5' });
    password = (await readFile(join(t.dataDir, 'initial-admin-password'), 'utf8')).trim();
  });
  after(() => t.stop());

  const accounts = () => t.service.container!.get<AccountStore>(TOKENS.AccountStore);
  const db = () => t.service.container!.get<DatabaseBackend>(TOKENS.Database);

  async function loginCookie(username: string, pass: string, ip = '10.1.1.1'): Promise<string> {
    const res = await request(t.app).post('/api/auth/login').set('X-Forwarded-For', ip).send({ username, password: pass });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.headers['set-cookie'][0].split(';')[0];
  }

  it('creates the first admin with a random password in a 0600 file', async () => {
    assert.ok(password.length >= 20);
    const mode = (await stat(join(t.dataDir, 'initial-admin-password'))).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  it('logs in with that password: HttpOnly SameSite=Strict cookie, then /auth/check reports an admin', async () => {
    const res = await request(t.app).post('/api/auth/login').send({ username: 'admin', password });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true });
    const setCookie = res.headers['set-cookie'][0];
    assert.match(setCookie, /^auth_token=/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const check = await request(t.app).get('/api/auth/check').set('Cookie', setCookie.split(';')[0]);
    assert.equal(check.status, 200);
    assert.equal(check.body.authenticated, true);
    assert.equal(check.body.user.username, 'admin');
    assert.equal(check.body.user.is_admin, true);
    assert.equal(JSON.stringify(check.body).includes('$2'), false, 'no hash in the response');
  });

  it('answers Aviary login errors and records every attempt', async () => {
    const before = await db().records.readSnapshot((r) => r.count('login_attempts'));
    const bad = await request(t.app).post('/api/auth/login').set('X-Forwarded-For', '10.9.9.9').send({ username: 'admin', password: 'wrong' });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { error: 'backend.auth.invalid_credentials' });
    const malformed = await request(t.app).post('/api/auth/login').send({ username: 5 });
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body, { error: 'backend.auth.invalid_request' });
    const broken = await request(t.app).post('/api/auth/login').set('Content-Type', 'application/json').send('{"username":');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error_type, 'invalid_request');
    const after = await db().records.readSnapshot((r) => r.count('login_attempts'));
    assert.equal(after, before + 1);
  });

  it('rate-limits the calling IP after repeated failures (429), even with the right password', async () => {
    for (let i = 0; i < 5; i++) {
      await request(t.app).post('/api/auth/login').set('X-Forwarded-For', '10.7.7.7').send({ username: 'admin', password: 'nope' });
    }
    const locked = await request(t.app).post('/api/auth/login').set('X-Forwarded-For', '10.7.7.7').send({ username: 'admin', password });
    // Without `trust proxy` X-Forwarded-For is ignored: the socket address is what gets locked.
    assert.equal(locked.status, 429);
    assert.deepEqual(locked.body, { error: 'backend.auth.too_many_attempts' });
  });

  describe('admin routes', () => {
    let adminCookie: string;
    let userCookie: string;
    let apiKey: string;

    before(async () => {
      // The rate-limit test above locked the loopback address; use fresh attempts' window by
      // clearing the failures it recorded (a real operator would wait for the window).
      await db().records.writeTransaction((w) => w.delete('login_attempts'));
      adminCookie = await loginCookie('admin', password);
      await accounts().createUser({ username: 'reader', email: 'reader@example.org', passwordHash: await hasher.hash('reader-pass'), isAdmin: false });
      userCookie = await loginCookie('reader', 'reader-pass');
      const admin = (await accounts().findUserByLogin('admin'))!;
      apiKey = 'aviary_' + 'k'.repeat(40);
      await accounts().createApiKey({ userId: admin.id, name: 'ci', keyHash: await hasher.hash(apiKey), keyPrefix: apiKey.slice(0, 16) });
    });

    it('401 without credentials, 403 for a non-admin, 200 for the admin', async () => {
      const anonymous = await request(t.app).get('/api/admin/status');
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.body, { error: 'Authentication required', code: 'authentication_required' });
      const user = await request(t.app).get('/api/admin/status').set('Cookie', userCookie);
      assert.equal(user.status, 403);
      assert.equal(user.body.error, 'Admin privileges required');
      const admin = await request(t.app).get('/api/admin/status').set('Cookie', adminCookie);
      assert.equal(admin.status, 200);
      assert.equal(admin.body.database.total_users, 2);
      assert.equal(admin.body.database.admin_users, 1);
      // Aviary sends the stored setting texts; its Settings switch compares with "true".
      assert.equal(admin.body.settings.max_api_keys_per_user, '10');
      assert.equal(admin.body.settings.registration_enabled, 'false');
      assert.equal(admin.body.mode, 'multi_user');
    });

    it('accepts an API key as Bearer or X-API-Key, refuses a wrong one', async () => {
      assert.equal((await request(t.app).get('/api/admin/status').set('Authorization', `Bearer ${apiKey}`)).status, 200);
      assert.equal((await request(t.app).get('/api/admin/status').set('X-API-Key', apiKey)).status, 200);
      assert.equal((await request(t.app).get('/api/admin/status').set('X-API-Key', apiKey + 'x')).status, 401);
      assert.equal((await request(t.app).get('/api/admin/status').set('Authorization', 'Bearer not.a.jwt')).status, 401);
    });

    it('refuses the cookie of a user deleted after login with exactly 401', async () => {
      const reader = (await accounts().findUserByLogin('reader'))!;
      await db().records.writeTransaction((w) => w.delete('users', { column: 'id', in: [reader.id] }));
      const res = await request(t.app).get('/api/admin/status').set('Cookie', userCookie);
      assert.equal(res.status, 401);
      const check = await request(t.app).get('/api/auth/check').set('Cookie', userCookie);
      assert.deepEqual(check.body, { authenticated: false });
    });

    it('every route in /api/openapi.json exists (no route_not_found for any of them)', async () => {
      const doc = (await request(t.app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const method of Object.keys(methods)) {
          if (path === '/api/auth/logout') continue;
          const url = path.replace(/\{id\}/g, crypto.randomUUID());
          const res = await (request(t.app) as unknown as Record<string, (u: string) => request.Test>)[method](url).set('Cookie', adminCookie);
          assert.notEqual(res.body?.code, 'route_not_found', `${method.toUpperCase()} ${path}`);
          assert.notEqual(res.status, 401, `${method.toUpperCase()} ${path} with an admin cookie`);
        }
      }
    });

    it('logout clears the cookie', async () => {
      const res = await request(t.app).post('/api/auth/logout').set('Cookie', adminCookie);
      assert.equal(res.status, 200);
      assert.match(res.headers['set-cookie'][0], /auth_token=;/);
    });
  });

  it('serves /healthz, /readyz, /api/version and /api/config, and JSON 404s', async () => {
    assert.deepEqual((await request(t.app).get('/healthz')).body, { status: 'ok' });
    const ready = await request(t.app).get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.database.ok, true);
    assert.equal(ready.body.storage.ok, true);
    const version = await request(t.app).get('/api/version');
    assert.match(version.body.version, /^\d+\.\d+\.\d+$/);
    assert.ok(version.body.service_version);
    const config = await request(t.app).get('/api/config');
    assert.equal(config.body.multiUserMode, true);
    const openapi = await request(t.app).get('/api/openapi.json');
    assert.equal(openapi.body.openapi, '3.1.0');
    assert.ok(openapi.body.paths['/api/admin/restore'].post);
    const missing = await request(t.app).get('/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'route_not_found');
  });
});

describe('single-user mode', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService({ MULTI_USER: 'false' });
  });
  after(() => t.stop());

  it('answers 404 on the admin API, as Aviary does', async () => {
    const res = await request(t.app).get('/api/admin/status');
    assert.equal(res.status, 404);
    assert.match(res.body.error, /not available in single-user mode/);
  });
});
