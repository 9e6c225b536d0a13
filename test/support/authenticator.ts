import { ApiKeyAuthenticator } from '../../src/application/auth/api-key-authenticator';
import { AttemptLimiter } from '../../src/application/auth/attempt-limiter';
import { Authenticator } from '../../src/application/auth/authenticator';
import type { AccountStore } from '../../src/application/ports/account-store.port';
import type { AttemptCounterStore } from '../../src/application/ports/attempt-counter-store.port';
import type { Clock, PasswordHasher } from '../../src/application/ports/system.port';
import { HmacApiKeyTagger } from '../../src/adapters/auth/hmac.api-key-tagger';
import { JwtTokenService } from '../../src/adapters/auth/jwt.token-service';
import { InMemoryAttemptCounterStore } from '../fakes/in-memory.attempt-counter-store';

export const TEST_SECRET = 'x'.repeat(32);
export const testTagger = () => new HmacApiKeyTagger(TEST_SECRET);

export interface TestLimits {
  readonly perIp?: number;
  readonly perAccount?: number;
  readonly apiKeysPerIp?: number;
  readonly windowMinutes?: number;
  readonly counters?: AttemptCounterStore;
}

/** An Authenticator wired as the container wires it, on the given stores. */
export function testAuthenticator(accounts: AccountStore, hasher: PasswordHasher, clock: Clock, limits: TestLimits = {}): Authenticator {
  const windowMs = (limits.windowMinutes ?? 15) * 60_000;
  const limiter = new AttemptLimiter(limits.counters ?? new InMemoryAttemptCounterStore(), clock);
  const perAccount = limits.perAccount ?? 30;
  const apiKeys = new ApiKeyAuthenticator(accounts, hasher, testTagger(), limiter, clock, {
    perIp: { scope: 'api-key:ip', limit: limits.apiKeysPerIp ?? 20, windowMs },
    perKey: { scope: 'api-key:key', limit: perAccount, windowMs },
  });
  return new Authenticator(accounts, hasher, new JwtTokenService(TEST_SECRET, 1), clock, limiter, {
    perIp: { scope: 'login:ip', limit: limits.perIp ?? 10, windowMs },
    perAccount: { scope: 'login:account', limit: perAccount, windowMs },
  }, apiKeys);
}
