import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import request from 'supertest';
import type { AccountStore } from '../../src/application/ports/account-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { backendEnv, BackendSetup, DatabaseKind } from '../support/backends';
import { startTestService, TestService } from '../support/service';

const LIMIT = 10;
const KEY_LIMIT = 5;
const ADMIN = { AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' };

/** Answers by status: 401 means the password or key was compared, 429 that it was refused unread. */
function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

for (const dbKind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`attempt limits under concurrency (${dbKind}${dbKind === 'postgres' ? ', two replicas' : ''})`, function () {
    let setup: BackendSetup;
    const services: TestService[] = [];
    const servers: Server[] = [];

    before(async function () {
      setup = await backendEnv(this, dbKind, 'filesystem');
      const env = { ...setup.env, ...ADMIN, LOGIN_MAX_FAILURES: String(LIMIT), API_KEY_MAX_FAILURES: String(KEY_LIMIT) };
      services.push(await startTestService(env));
      // A second replica on the same database (PostgreSQL is what replicas share).
      if (dbKind === 'postgres') services.push(await startTestService(env));
      for (const s of services) servers.push(s.app.listen(0, '127.0.0.1'));
    });
    after(async () => {
      for (const s of servers) s.close();
      for (const s of services) await s.stop();
      await setup?.cleanup();
    });

    const replica = (i: number) => servers[i % servers.length];

    it(`200 parallel wrong passwords: at most ${LIMIT} compared; then a burst of 40 holding the right one never logs in`, async () => {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          request(replica(i)).post('/api/auth/login').send({ username: 'root', password: `wrong-${i}` }).then((r) => r.status),
        ),
      );
      const counts = tally(statuses);
      console.log(`      200 parallel wrong passwords → ${counts[401] ?? 0} compared (401), ${counts[429] ?? 0} refused unread (429)`);
      assert.ok((counts[401] ?? 0) <= LIMIT, JSON.stringify(counts));
      assert.equal((counts[401] ?? 0) + (counts[429] ?? 0), 200, JSON.stringify(counts));
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(replica(i))
            .post('/api/auth/login')
            .send({ username: 'root', password: i === 17 ? ADMIN.AUTH_PASSWORD : 'wrong' })
            .then((r) => r.status),
        ),
      );
      assert.deepEqual(tally(burst), { 429: 40 });
    });

    it(`API keys: 100 parallel guesses sharing a real key's prefix: at most ${KEY_LIMIT} compared`, async () => {
      const accounts = services[0].service.container!.get<AccountStore>(TOKENS.AccountStore);
      const admin = (await accounts.findUserByLogin('root'))!;
      const key = 'aviary_' + 'q'.repeat(40);
      await accounts.createApiKey({ userId: admin.id, name: 'ci', keyHash: await new BcryptPasswordHasher(4).hash(key), keyPrefix: key.slice(0, 16) });
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          request(replica(i)).get('/api/admin/status').set('X-API-Key', `${key.slice(0, 16)}guess-${i}-${'z'.repeat(20)}`).then((r) => r.status),
        ),
      );
      const counts = tally(statuses);
      console.log(`      100 parallel wrong API keys → ${counts[401] ?? 0} compared (401), ${counts[429] ?? 0} refused unread (429)`);
      assert.ok((counts[401] ?? 0) <= KEY_LIMIT, JSON.stringify(counts));
      assert.equal((counts[401] ?? 0) + (counts[429] ?? 0), 100, JSON.stringify(counts));
      const locked = await request(replica(0)).get('/api/admin/status').set('X-API-Key', key);
      assert.equal(locked.status, 429, 'the IP is locked out for keys too');
      assert.equal(locked.body.code, 'too_many_attempts');
    });
  });
}
