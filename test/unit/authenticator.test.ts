import assert from 'node:assert/strict';
import { Authenticator, LoginError } from '../../src/application/auth/authenticator';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { JwtTokenService } from '../../src/adapters/auth/jwt.token-service';
import { InMemoryAccountStore } from '../fakes/in-memory.account-store';

describe('Authenticator (use case, fake account store)', () => {
  const hasher = new BcryptPasswordHasher(4);
  let now: Date;
  let accounts: InMemoryAccountStore;
  let auth: Authenticator;

  beforeEach(async () => {
    now = new Date('2026-01-01T00:00:00Z');
    accounts = new InMemoryAccountStore(() => now);
    auth = new Authenticator(accounts, hasher, new JwtTokenService('x'.repeat(32), 1), { now: () => now }, {
      maxFailedLogins: 3,
      failedLoginWindowMinutes: 15,
    });
    await accounts.createUser({ username: 'ada', email: 'ada@example.org', passwordHash: await hasher.hash('s3cret!'), isAdmin: true });
  });

  const login = (username: string, password: string, ip = '10.0.0.1') =>
    auth.login({ username, password, ipAddress: ip, userAgent: 'test' });

  it('logs in with the right password, by username or email, and records the attempt', async () => {
    const { token, user } = await login('ada', 's3cret!');
    assert.equal(user.username, 'ada');
    assert.equal((await auth.fromToken(token))?.id, user.id);
    await login('ada@example.org', 's3cret!');
    assert.deepEqual(accounts.attempts.map((a) => a.success), [true, true]);
  });

  it('refuses a wrong password or unknown user with the same error', async () => {
    await assert.rejects(login('ada', 'nope'), (e: LoginError) => e.code === 'backend.auth.invalid_credentials');
    await assert.rejects(login('bob', 'nope'), (e: LoginError) => e.code === 'backend.auth.invalid_credentials');
    assert.deepEqual(accounts.attempts.map((a) => a.success), [false, false]);
  });

  it('locks an IP out after too many failures, even with the right password, until the window passes', async () => {
    for (let i = 0; i < 3; i++) await assert.rejects(login('ada', 'bad'));
    await assert.rejects(login('ada', 's3cret!'), (e: LoginError) => e.code === 'backend.auth.too_many_attempts');
    await login('ada', 's3cret!', '10.0.0.2');
    now = new Date(now.getTime() + 16 * 60_000);
    await login('ada', 's3cret!');
  });

  it('refuses disabled accounts at login and their existing tokens', async () => {
    const { token } = await login('ada', 's3cret!');
    (accounts.users[0] as { isActive: boolean }).isActive = false;
    await assert.rejects(login('ada', 's3cret!'), (e: LoginError) => e.code === 'backend.auth.account_disabled');
    assert.equal(await auth.fromToken(token), null);
  });

  it('refuses the token of a deleted user and a token signed with another secret', async () => {
    const { token } = await login('ada', 's3cret!');
    const forged = new JwtTokenService('y'.repeat(32), 1).sign({ userId: accounts.users[0].id });
    assert.equal(await auth.fromToken(forged), null);
    accounts.users = [];
    assert.equal(await auth.fromToken(token), null);
  });

  it('accepts an active API key and refuses inactive, expired or wrong ones', async () => {
    const key = 'aviary_0123456789abcdefghijklmnop';
    const record = await accounts.createApiKey({ userId: accounts.users[0].id, name: 'k', keyHash: await hasher.hash(key), keyPrefix: key.slice(0, 16) });
    assert.equal((await auth.fromApiKey(key))?.username, 'ada');
    assert.equal(await auth.fromApiKey(key.slice(0, -1) + 'X'), null);
    (record as { expiresAt: string | null }).expiresAt = '2025-12-31T00:00:00Z';
    assert.equal(await auth.fromApiKey(key), null);
    (record as { expiresAt: string | null }).expiresAt = null;
    (record as { isActive: boolean }).isActive = false;
    assert.equal(await auth.fromApiKey(key), null);
  });
});
