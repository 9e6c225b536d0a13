import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { LoginError } from '../../src/application/auth/authenticator';
import type { Authenticator } from '../../src/application/auth/authenticator';
import { storedApiKeyPrefix } from '../../src/application/auth/api-key-prefixes';
import type { PasswordHasher } from '../../src/application/ports/system.port';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { JwtTokenService } from '../../src/adapters/auth/jwt.token-service';
import { oldApiKeyTag } from '../../src/domain/api-key';
import { InMemoryAccountStore } from '../fakes/in-memory.account-store';
import { TEST_SECRET, testAuthenticator, testTagger } from '../support/authenticator';

/** bcrypt at cost 4, counting every comparison. */
class CountingHasher implements PasswordHasher {
  private readonly inner = new BcryptPasswordHasher(4);
  verified = 0;
  hash(plain: string) {
    return this.inner.hash(plain);
  }
  verify(plain: string, hash: string) {
    this.verified++;
    return this.inner.verify(plain, hash);
  }
}

describe('Authenticator (use case, fake stores)', () => {
  let hasher: CountingHasher;
  let now: Date;
  let accounts: InMemoryAccountStore;
  let auth: Authenticator;

  beforeEach(async () => {
    hasher = new CountingHasher();
    now = new Date('2026-01-01T00:00:00Z');
    accounts = new InMemoryAccountStore(() => now);
    auth = testAuthenticator(accounts, hasher, { now: () => now }, { perIp: 3, perAccount: 5, apiKeysPerIp: 4 });
    await accounts.createUser({ username: 'ada', email: 'ada@example.org', passwordHash: await hasher.hash('s3cret!'), isAdmin: true });
  });

  const login = (username: string, password: string, ip = '10.0.0.1') =>
    auth.login({ username, password, ipAddress: ip, userAgent: 'test' });

  it('logs in with the right password, by username or email, records the attempt and a session row', async () => {
    const { token, user } = await login('ada', 's3cret!');
    assert.equal(user.username, 'ada');
    assert.equal((await auth.fromToken(token))?.id, user.id);
    await login('ada@example.org', 's3cret!', '2001:db8:0:0:0:0:0:1'.padEnd(60, '0'));
    assert.deepEqual(accounts.attempts.map((a) => a.success), [true, true]);
    assert.equal(accounts.sessions.length, 2);
    assert.equal(accounts.sessions[0].userId, user.id);
    assert.match(accounts.sessions[0].tokenHash, /^[0-9a-f]{64}$/);
    assert.ok(!accounts.sessions.some((s) => s.tokenHash.includes(token)), 'the token itself is not stored');
  });

  it('refuses a wrong password or unknown user with the same error', async () => {
    await assert.rejects(login('ada', 'nope'), (e: LoginError) => e.code === 'backend.auth.invalid_credentials');
    await assert.rejects(login('bob', 'nope'), (e: LoginError) => e.code === 'backend.auth.invalid_credentials');
    assert.deepEqual(accounts.attempts.map((a) => a.success), [false, false]);
  });

  it('locks an IP out after too many failures, even with the right password, until the window passes', async () => {
    for (let i = 0; i < 3; i++) await assert.rejects(login('ada', 'bad'));
    const before = hasher.verified;
    await assert.rejects(login('ada', 's3cret!'), (e: LoginError) => e.code === 'backend.auth.too_many_attempts');
    assert.equal(hasher.verified, before, 'a locked-out attempt compares nothing');
    await login('ada', 's3cret!', '10.0.0.2');
    now = new Date(now.getTime() + 31 * 60_000);
    await login('ada', 's3cret!');
  });

  it('locks an account out after too many failures from many IPs', async () => {
    for (let i = 0; i < 5; i++) await assert.rejects(login('ada', 'bad', `10.1.0.${i}`));
    await assert.rejects(login('ada', 's3cret!', '10.2.0.1'), (e: LoginError) => e.code === 'backend.auth.too_many_attempts');
    await assert.rejects(login('ada@example.org', 's3cret!', '10.2.0.2'), (e: LoginError) => e.code === 'backend.auth.too_many_attempts');
  });

  it('200 parallel wrong passwords: at most the limit are compared; then a burst holding the right one never logs in', async () => {
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => login('ada', 'wrong')));
    assert.equal(hasher.verified, 3);
    assert.equal(results.filter((r) => r.status === 'rejected' && (r.reason as LoginError).code === 'backend.auth.too_many_attempts').length, 197);
    const burst = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => login('ada', i === 20 ? 's3cret!' : 'wrong')));
    assert.ok(burst.every((r) => r.status === 'rejected'));
    assert.equal(hasher.verified, 3);
  });

  it('refuses disabled accounts at login and their existing tokens', async () => {
    const { token } = await login('ada', 's3cret!');
    (accounts.users[0] as { isActive: boolean }).isActive = false;
    await assert.rejects(login('ada', 's3cret!'), (e: LoginError) => e.code === 'backend.auth.account_disabled');
    assert.equal(await auth.fromToken(token), null);
  });

  it('refuses a deleted user, another secret, a token without exp or jti, and a token whose session row is gone', async () => {
    const { token } = await login('ada', 's3cret!');
    const id = accounts.users[0].id;
    const sessionId = accounts.sessions[0].id;
    const forged = new JwtTokenService('y'.repeat(32), 1).sign({ userId: id, sessionId }).token;
    assert.equal(await auth.fromToken(forged), null);
    const noExp = jwt.sign({ user_id: id }, TEST_SECRET, { algorithm: 'HS256', subject: id, jwtid: sessionId });
    assert.equal(await auth.fromToken(noExp), null);
    const noJti = jwt.sign({ user_id: id }, TEST_SECRET, { algorithm: 'HS256', subject: id, expiresIn: '1h' });
    assert.equal(await auth.fromToken(noJti), null);
    accounts.sessions = [];
    assert.equal(await auth.fromToken(token), null, 'session row gone');
    const second = await login('ada', 's3cret!');
    accounts.users = [];
    assert.equal(await auth.fromToken(second.token), null);
  });

  it('logout revokes: the token is refused even if a restore brings its row back', async () => {
    const { token } = await login('ada', 's3cret!');
    const row = accounts.sessions[0];
    await auth.logout(token);
    assert.equal(await auth.fromToken(token), null);
    accounts.sessions.push(row);
    assert.equal(await auth.fromToken(token), null);
  });

  describe('API keys', () => {
    const key = 'aviary_0123456789abcdefghijklmnop';

    it('accepts an active key and refuses inactive, expired or wrong ones', async () => {
      const record = await accounts.createApiKey({ userId: accounts.users[0].id, name: 'k', keyHash: await hasher.hash(key), keyPrefix: key.slice(0, 16) });
      assert.equal((await auth.fromApiKey(key, '10.0.0.1'))?.username, 'ada');
      assert.equal(await auth.fromApiKey(key.slice(0, -1) + 'X', '10.0.0.1'), null);
      (record as { expiresAt: string | null }).expiresAt = '2025-12-31T00:00:00Z';
      assert.equal(await auth.fromApiKey(key, '10.0.0.1'), null);
      (record as { expiresAt: string | null }).expiresAt = null;
      (record as { isActive: boolean }).isActive = false;
      assert.equal(await auth.fromApiKey(key, '10.0.0.1'), null);
    });

    it('a short (tagged) key: no guess runs bcrypt, the key itself does; the old 16-bit tag is never looked up', async () => {
      const short = 'hunter2';
      await accounts.createApiKey({ userId: accounts.users[0].id, name: 'migrated', keyHash: await hasher.hash(short), keyPrefix: storedApiKeyPrefix(short, testTagger()) });
      // A row under the old tag of another short key: a guess sharing its 16 bits must not reach bcrypt.
      await accounts.createApiKey({ userId: accounts.users[0].id, name: 'old', keyHash: await hasher.hash('other'), keyPrefix: oldApiKeyTag('other') });
      const sameOldTag = Array.from({ length: 400_000 }, (_, i) => `g${i}`).find((g) => oldApiKeyTag(g) === oldApiKeyTag('other'))!;
      assert.ok(sameOldTag);
      const before = hasher.verified;
      for (const guess of ['hunter1', 'hunter3', sameOldTag, 'aviary_short']) assert.equal(await auth.fromApiKey(guess, `10.3.0.${guess.length}`), null);
      assert.equal(hasher.verified, before, 'no bcrypt for a guess that cannot match');
      assert.equal((await auth.fromApiKey(short, '10.3.1.1'))?.username, 'ada');
      assert.equal(hasher.verified, before + 1);
    });

    it('limits failed key attempts per IP, also under concurrency; parallel uses of one key share one bcrypt', async () => {
      await accounts.createApiKey({ userId: accounts.users[0].id, name: 'k', keyHash: await hasher.hash(key), keyPrefix: key.slice(0, 16) });
      const guesses = Array.from({ length: 100 }, (_, i) => `${key.slice(0, 16)}guess-${i}-padding-padding`);
      const results = await Promise.allSettled(guesses.map((g) => auth.fromApiKey(g, '10.4.0.1')));
      assert.equal(hasher.verified, 4, 'only the reserved attempts compared');
      assert.equal(results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'too_many_attempts').length, 96);
      await assert.rejects(auth.fromApiKey(key, '10.4.0.1'), (e: { category: string }) => e.category === 'rate_limited');
      const before = hasher.verified;
      const parallel = await Promise.all(Array.from({ length: 30 }, () => auth.fromApiKey(key, '10.4.0.2')));
      assert.ok(parallel.every((u) => u?.username === 'ada'));
      assert.equal(hasher.verified, before + 1);
    });
  });

  describe('a user named by the embedding host (fromHost)', () => {
    const stranger = { id: '5b0f3c9e-2d41-4f57-9a3e-0c6a5e1d2b7f', username: 'host-admin', isAdmin: true };

    it('takes an unknown UUID as the host gives it', async () => {
      const user = await auth.fromHost(stranger);
      assert.equal(user?.id, stranger.id);
      assert.equal(user?.username, 'host-admin');
      assert.equal(user?.isAdmin, true);
      assert.equal(user?.isActive, true);
      assert.equal((await auth.fromHost({ ...stranger, isAdmin: false }))?.isAdmin, false);
    });

    it("uses this database's account for one of its ids: its is_admin decides, a disabled one is nobody", async () => {
      const ada = accounts.users[0];
      const named = await auth.fromHost({ id: ada.id, username: 'not-ada', isAdmin: false });
      assert.equal(named?.username, 'ada');
      assert.equal(named?.isAdmin, true);
      accounts.users[0] = { ...ada, isActive: false };
      assert.equal(await auth.fromHost({ id: ada.id, username: 'ada', isAdmin: true }), null);
    });

    it('refuses a malformed identity as the host\'s error (internal, invalid_host_user)', async () => {
      for (const bad of [{ ...stranger, id: 'user-42' }, { ...stranger, username: '' }, { ...stranger, isAdmin: 'yes' }, 'ada']) {
        await assert.rejects(auth.fromHost(bad as never), (e: { category?: string; code?: string }) => e.category === 'internal' && e.code === 'invalid_host_user');
      }
    });
  });
});
