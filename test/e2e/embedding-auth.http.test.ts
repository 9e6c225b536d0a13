import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request } from 'express';
import request from 'supertest';
import { AviaryBackup, createAviaryBackup, HostUser } from '../../src';

/** A logger that keeps what the service warns and reports as errors. */
function recordingLogger() {
  const warnings: string[] = [];
  const errors: Record<string, unknown>[] = [];
  return {
    warnings,
    errors,
    logger: { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error: (m: string, f?: Record<string, unknown>) => void errors.push({ m, ...f }) },
  };
}

function hostCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, value] = part.trim().split('=');
    if (key === name) return value;
  }
  return undefined;
}

/** `Set-Cookie` of a response for one cookie name, split into its value and attributes. */
function setCookie(res: request.Response, name: string, only?: string): { value: string; attributes: Record<string, string> } {
  const headers = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = only ?? headers.find((h) => h.startsWith(`${name}=`));
  assert.ok(line, `no Set-Cookie for ${name} in ${JSON.stringify(headers)}`);
  const [pair, ...rest] = line.split(';').map((p) => p.trim());
  const attributes: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    attributes[(eq < 0 ? part : part.slice(0, eq)).toLowerCase()] = eq < 0 ? '' : part.slice(eq + 1);
  }
  return { value: pair.slice(name.length + 1), attributes };
}

/**
 * A browser's cookie store for one host, as RFC 6265 keeps it: a cookie is replaced only by one of the
 * same name AND path, and a request carries those whose path matches, the longest path first.
 * (supertest's agent replaces cookies by name alone, so it cannot show two cookies of one name.)
 */
class BrowserJar {
  private readonly cookies = new Map<string, { name: string; path: string; value: string }>();

  take(res: request.Response): void {
    for (const line of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      const name = line.slice(0, line.indexOf('='));
      const { value, attributes } = setCookie(res, name, line);
      const path = attributes.path ?? '/';
      const expired = attributes['max-age'] !== undefined ? Number(attributes['max-age']) <= 0 : attributes.expires !== undefined && Date.parse(attributes.expires) <= Date.now();
      if (expired) this.cookies.delete(`${name}\u0000${path}`);
      else this.cookies.set(`${name}\u0000${path}`, { name, path, value });
    }
  }

  header(url: string): string {
    const matches = (p: string) => url === p || url.startsWith(p.endsWith('/') ? p : `${p}/`);
    return [...this.cookies.values()]
      .filter((c) => matches(c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

describe('embedding: the host supplies the user, and the session cookie stays in its own lane', () => {
  const dirs: string[] = [];
  const services: AviaryBackup[] = [];
  after(async () => {
    for (const s of services) await s.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function embed(env: Record<string, string>, options: Parameters<typeof createAviaryBackup>[0] = {}) {
    const dataDir = await mkdtemp(join(tmpdir(), 'aviary-embed-auth-'));
    dirs.push(dataDir);
    const log = recordingLogger();
    const service = createAviaryBackup({
      env: { DATA_DIR: dataDir, AUTH_USERNAME: 'owner', AUTH_PASSWORD: 'owner-password-1', ...env },
      logger: log.logger,
      ...options,
    });
    services.push(service);
    await service.start();
    return { service, log };
  }

  describe('mounted at /aviary with the host authenticating', () => {
    const hostAdmin: HostUser = { id: randomUUID(), username: 'host-admin', isAdmin: true };
    const hostViewer: HostUser = { id: randomUUID(), username: 'host-viewer', isAdmin: false };
    // The host's own sessions: a cookie `host_session` naming one of these.
    const sessions = new Map<string, HostUser>();
    let host: express.Express;
    let service: AviaryBackup;
    let log: ReturnType<typeof recordingLogger>;

    before(async () => {
      ({ service, log } = await embed(
        { ALLOW_INSECURE: 'true' },
        { authenticate: (req) => sessions.get(hostCookie(req, 'host_session') ?? '') ?? null },
      ));
      sessions.set('admin', hostAdmin).set('viewer', hostViewer).set('bad-id', { id: 'user-42', username: 'x', isAdmin: true });
      host = express();
      host.get('/host/sign-in', (_req, res) => {
        res.cookie('auth_token', 'the-hosts-own-token', { path: '/', httpOnly: true });
        res.send('ok');
      });
      host.get('/host/whoami', (req, res) => {
        res.json({ auth_token: hostCookie(req, 'auth_token') ?? null });
      });
      host.use('/aviary', service.router);
    });

    it('lets the host admin in, answers 403 for a host non-admin and 401 for nobody, as for its own logins', async () => {
      const asAdmin = await request(host).get('/aviary/api/admin/status').set('Cookie', 'host_session=admin');
      assert.equal(asAdmin.status, 200, JSON.stringify(asAdmin.body));
      const asViewer = await request(host).get('/aviary/api/admin/status').set('Cookie', 'host_session=viewer');
      assert.equal(asViewer.status, 403);
      assert.equal(asViewer.body.code, 'admin_required');
      const anonymous = await request(host).get('/aviary/api/admin/status');
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.code, 'authentication_required');

      const check = await request(host).get('/aviary/api/auth/check').set('Cookie', 'host_session=admin');
      assert.equal(check.body.authenticated, true);
      assert.equal(check.body.user.username, 'host-admin');
      assert.equal(check.body.user.is_admin, true);
    });

    it("records the host admin's id on the jobs it starts", async () => {
      const created = await request(host).post('/aviary/api/admin/backup-job').set('Cookie', 'host_session=admin');
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const job = await request(host).get(`/aviary/api/admin/backup-job/${created.body.job_id}`).set('Cookie', 'host_session=admin');
      assert.equal(job.status, 200);
      assert.equal(job.body.admin_user_id, hostAdmin.id);
    });

    it("uses this database's account when the host names one of its users", async () => {
      const check = await request(host).post('/aviary/api/auth/login').send({ username: 'owner', password: 'owner-password-1' });
      const cookie = `auth_token=${setCookie(check, 'auth_token').value}`;
      const me = await request(host).get('/aviary/api/auth/check').set('Cookie', cookie);
      const ownerId: string = me.body.user.id;
      // The host calls the owner a non-admin under another name: the account's own is_admin decides.
      sessions.set('owner', { id: ownerId, username: 'someone-else', isAdmin: false });
      const asOwner = await request(host).get('/aviary/api/admin/status').set('Cookie', 'host_session=owner');
      assert.equal(asOwner.status, 200);
      const seen = await request(host).get('/aviary/api/auth/check').set('Cookie', 'host_session=owner');
      assert.equal(seen.body.user.username, 'owner');
    });

    it('falls back to the service session when the host knows nobody, and refuses a host id that is not a UUID', async () => {
      const login = await request(host).post('/aviary/api/auth/login').send({ username: 'owner', password: 'owner-password-1' });
      const token = setCookie(login, 'auth_token').value;
      const fallback = await request(host).get('/aviary/api/admin/status').set('Cookie', `host_session=stranger; auth_token=${token}`);
      assert.equal(fallback.status, 200);

      const bad = await request(host).get('/aviary/api/admin/status').set('Cookie', 'host_session=bad-id');
      assert.equal(bad.status, 500);
      assert.equal(bad.body.code, 'invalid_host_user');
      assert.ok(log.errors.some((e) => e.code === 'invalid_host_user' && /UUID/.test(String(e.error))), JSON.stringify(log.errors));
    });

    it("login and logout set and clear the service cookie at /aviary, leaving the host's auth_token at / alone", async () => {
      const jar = new BrowserJar();
      const browse = async (method: 'get' | 'post', url: string, body?: object) => {
        const res = await request(host)[method](url).set('Cookie', jar.header(url)).send(body);
        jar.take(res);
        return res;
      };
      await browse('get', '/host/sign-in');

      const login = await browse('post', '/aviary/api/auth/login', { username: 'owner', password: 'owner-password-1' });
      assert.equal(login.status, 200);
      const set = setCookie(login, 'auth_token');
      assert.equal(set.attributes.path, '/aviary', 'the service cookie is scoped to its mount path');
      assert.deepEqual((await browse('get', '/host/whoami')).body, { auth_token: 'the-hosts-own-token' });
      assert.equal((await browse('get', '/aviary/api/auth/check')).body.authenticated, true, 'the service reads its own cookie beside the host one');

      const logout = await browse('post', '/aviary/api/auth/logout');
      const cleared = setCookie(logout, 'auth_token');
      assert.equal(cleared.attributes.path, '/aviary');
      assert.equal(cleared.value, '');
      assert.deepEqual((await browse('get', '/host/whoami')).body, { auth_token: 'the-hosts-own-token' });
      assert.equal((await browse('get', '/aviary/api/auth/check')).body.authenticated, false);
    });

    it('keeps auth_token at / when the same service is mounted at the root, as Aviary\'s UI needs', async () => {
      const atRoot = express();
      atRoot.use(service.router);
      const login = await request(atRoot).post('/api/auth/login').send({ username: 'owner', password: 'owner-password-1' });
      assert.equal(setCookie(login, 'auth_token').attributes.path, '/');
      assert.equal(setCookie(await request(atRoot).post('/api/auth/logout'), 'auth_token').attributes.path, '/');
    });
  });

  describe('cookie options and the Secure-cookie warning', () => {
    let host: express.Express;
    let log: ReturnType<typeof recordingLogger>;

    before(async () => {
      let service: AviaryBackup;
      ({ service, log } = await embed({ ALLOW_INSECURE: 'false' }, { cookie: { name: 'aviary_session', path: '/aviary/api' } }));
      host = express();
      // A reverse proxy on this machine forwards the clients: their address comes from X-Forwarded-For.
      host.set('trust proxy', 'loopback');
      host.use('/aviary', service.router);
    });

    const login = (headers: Record<string, string> = {}) =>
      request(host).post('/aviary/api/auth/login').set(headers).send({ username: 'owner', password: 'owner-password-1' });

    it('sets, reads and clears the cookie under the configured name and path', async () => {
      const res = await login();
      const set = setCookie(res, 'aviary_session');
      assert.equal(set.attributes.path, '/aviary/api');
      assert.ok('secure' in set.attributes);
      assert.ok(!([] as string[]).concat(res.headers['set-cookie'] ?? []).some((h) => h.startsWith('auth_token=')));

      const named = await request(host).get('/aviary/api/auth/check').set('Cookie', `aviary_session=${set.value}`);
      assert.equal(named.body.authenticated, true);
      const defaultName = await request(host).get('/aviary/api/auth/check').set('Cookie', `auth_token=${set.value}`);
      assert.equal(defaultName.body.authenticated, false, 'only the configured name is read');

      const logout = await request(host).post('/aviary/api/auth/logout').set('Cookie', `aviary_session=${set.value}`);
      const cleared = setCookie(logout, 'aviary_session');
      assert.equal(cleared.attributes.path, '/aviary/api');
      assert.equal((await request(host).get('/aviary/api/auth/check').set('Cookie', `aviary_session=${set.value}`)).body.authenticated, false);
    });

    it('warns once, and in every answer, when a Secure cookie goes to a remote client over plain HTTP', async () => {
      const local = await login();
      assert.equal(local.body.warning, undefined, 'a loopback browser keeps Secure cookies on http://localhost');
      const viaHttps = await login({ 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' });
      assert.equal(viaHttps.body.warning, undefined);
      assert.equal(log.warnings.filter((w) => /HTTPS/.test(w)).length, 0);

      const remote = await login({ 'X-Forwarded-For': '203.0.113.7' });
      assert.equal(remote.status, 200);
      assert.equal(remote.body.success, true);
      assert.match(remote.body.warning, /serve over HTTPS or set ALLOW_INSECURE=true/i);
      const again = await login({ 'X-Forwarded-For': '203.0.113.8' });
      assert.match(again.body.warning, /ALLOW_INSECURE=true/);
      const logged = log.warnings.filter((w) => /ALLOW_INSECURE=true/.test(w));
      assert.equal(logged.length, 1, JSON.stringify(log.warnings));
    });
  });

  it('refuses a malformed cookie option or authenticate when the service is created', () => {
    assert.throws(() => createAviaryBackup({ cookie: { name: 'bad name;' } }), (e: any) => e?.name === 'ConfigError' && /cookie\.name/.test(e.message));
    assert.throws(() => createAviaryBackup({ cookie: { path: 'aviary' } }), (e: any) => e?.name === 'ConfigError' && /cookie\.path/.test(e.message));
    assert.throws(
      () => createAviaryBackup({ authenticate: 'yes' as unknown as () => null }),
      (e: any) => e?.name === 'ConfigError' && /authenticate/.test(e.message),
    );
  });
});
