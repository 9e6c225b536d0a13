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
      // The rate-limit test above locked the loopback address; clear the attempt counters it left
      // (a real operator would wait for the window).
      await db().attempts.purgeBefore(Number.MAX_SAFE_INTEGER);
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

    it('each login is a user_sessions row that Aviary\'s "Active Sessions" counts', async () => {
      const before = (await request(t.app).get('/api/admin/status').set('Cookie', adminCookie)).body.database.active_sessions;
      const extra = await loginCookie('admin', password);
      const after = (await request(t.app).get('/api/admin/status').set('Cookie', extra)).body.database.active_sessions;
      assert.equal(after, before + 1);
      const [row] = (await db().records.readSnapshot(async (r) => {
        const rows = [];
        for await (const x of r.stream('user_sessions')) rows.push(x);
        return rows;
      })).slice(-1);
      assert.match(String(row.token_hash), /^[0-9a-f]{64}$/);
      assert.ok(Date.parse(String(row.expires_at)) > Date.now());
    });

    it('a token whose session row is gone answers exactly 401', async () => {
      const cookie = await loginCookie('admin', password);
      await db().records.writeTransaction((w) => w.delete('user_sessions'));
      const res = await request(t.app).get('/api/admin/status').set('Cookie', cookie);
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { error: 'Authentication required', code: 'authentication_required' });
      adminCookie = await loginCookie('admin', password);
    });

    it('refuses cross-site state changes and non-JSON bodies; same-origin JSON and multipart pass', async () => {
      const crossSite = await request(t.app).post('/api/admin/cleanup').set('Cookie', adminCookie).set('Sec-Fetch-Site', 'cross-site')
        .type('form').send('x=1');
      assert.equal(crossSite.status, 403);
      assert.equal(crossSite.body.code, 'cross_site_request');
      const otherOrigin = await request(t.app).post('/api/admin/cleanup').set('Cookie', adminCookie).set('Origin', 'https://evil.example');
      assert.equal(otherOrigin.status, 403);
      const form = await request(t.app).post('/api/admin/backup-job').set('Cookie', adminCookie).type('form').send('include_files=false');
      assert.equal(form.status, 400);
      assert.equal(form.body.code, 'unsupported_media_type');
      const text = await request(t.app).post('/api/auth/login').set('Content-Type', 'text/plain').send(JSON.stringify({ username: 'admin', password }));
      assert.equal(text.status, 400);
      const host = '127.0.0.1:8000';
      const sameOrigin = await request(t.app).post('/api/admin/cleanup').set('Cookie', adminCookie).set('Host', host)
        .set('Origin', `http://${host}`).set('Sec-Fetch-Site', 'same-origin').send({});
      assert.equal(sameOrigin.status, 200, sameOrigin.text);
      const upload = await request(t.app).post('/api/admin/backup/analyze').set('Cookie', adminCookie).set('Sec-Fetch-Site', 'same-origin')
        .attach('backup_file', Buffer.from('not an archive'), 'x.tar.gz');
      assert.notEqual(upload.status, 403);
      assert.notEqual(upload.body.code, 'unsupported_media_type');
    });

    it('logout clears the cookie and revokes the session: the token is refused afterwards', async () => {
      const res = await request(t.app).post('/api/auth/logout').set('Cookie', adminCookie);
      assert.equal(res.status, 200);
      assert.match(res.headers['set-cookie'][0], /auth_token=;/);
      const after = await request(t.app).get('/api/admin/status').set('Cookie', adminCookie);
      assert.equal(after.status, 401);
      assert.deepEqual(after.body, { error: 'Authentication required', code: 'authentication_required' });
      assert.deepEqual((await request(t.app).get('/api/auth/check').set('Cookie', adminCookie)).body, { authenticated: false });
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
