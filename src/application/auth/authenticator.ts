import { apiKeyLookupPrefixes } from '../../domain/api-key';
import { DomainError } from '../../domain/errors';
import type { AccountStore, ApiKeyRecord, UserAccount } from '../ports/account-store.port';
import type { Clock, PasswordHasher } from '../ports/system.port';
import type { TokenService } from '../ports/token-service.port';

export interface LoginPolicy {
  readonly maxFailedLogins: number;
  readonly failedLoginWindowMinutes: number;
}

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  readonly ipAddress: string;
  readonly userAgent: string;
}

/** Aviary's login error keys; the web UI translates them. */
export class LoginError extends DomainError {
  constructor(kind: 'invalid_credentials' | 'too_many_attempts' | 'account_disabled' | 'invalid_request') {
    const category = kind === 'too_many_attempts' ? 'rate_limited' : kind === 'invalid_request' ? 'invalid' : 'unauthenticated';
    super(category, `backend.auth.${kind}`, `backend.auth.${kind}`);
    this.name = 'LoginError';
  }
}

// Compared against when the user does not exist, so both paths cost one bcrypt verification.
const DUMMY_HASH = '$2b$10$z4wRfpP0A7/7CXRAFZkHPe72icv6H.g0TStTjD21GmUMUDjV77ISi';

/** Password logins, session tokens and API keys: who is calling, or null. */
export class Authenticator {
  constructor(
    private readonly accounts: AccountStore,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly policy: LoginPolicy,
  ) {}

  /** Every attempt is recorded; too many failures from one IP lock that IP out for the window. */
  async login(input: LoginInput): Promise<{ token: string; user: UserAccount }> {
    if (!input.username || !input.password) throw new LoginError('invalid_request');
    const since = new Date(this.clock.now().getTime() - this.policy.failedLoginWindowMinutes * 60_000);
    const failures = await this.accounts.countFailedAttempts(input.ipAddress, since);
    if (failures >= this.policy.maxFailedLogins) {
      await this.record(input, false);
      throw new LoginError('too_many_attempts');
    }
    const user = await this.accounts.findUserByLogin(input.username);
    const ok = await this.hasher.verify(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      await this.record(input, false);
      throw new LoginError('invalid_credentials');
    }
    if (!user.isActive) {
      await this.record(input, false);
      throw new LoginError('account_disabled');
    }
    await this.record(input, true);
    await this.accounts.recordLogin(user.id);
    return { token: this.tokens.sign({ userId: user.id }), user };
  }

  /** The user behind a session token, if it is valid and the user still exists and is active. */
  async fromToken(token: string): Promise<UserAccount | null> {
    const claims = this.tokens.verify(token);
    if (!claims) return null;
    const user = await this.accounts.findUserById(claims.userId);
    return user && user.isActive ? user : null;
  }

  /** The user behind an API key, if the key is active, unexpired and its owner active. */
  async fromApiKey(key: string): Promise<UserAccount | null> {
    // Any length: a migrated single-user API_KEY may be short (it is stored under a tag, SPEC §7).
    if (key.length === 0) return null;
    const candidates: ApiKeyRecord[] = [];
    for (const prefix of apiKeyLookupPrefixes(key)) candidates.push(...(await this.accounts.findApiKeysByPrefix(prefix)));
    const now = this.clock.now().getTime();
    for (const candidate of candidates) {
      if (!candidate.isActive) continue;
      if (candidate.expiresAt && Date.parse(candidate.expiresAt) <= now) continue;
      if (!(await this.hasher.verify(key, candidate.keyHash))) continue;
      const user = await this.accounts.findUserById(candidate.userId);
      if (!user || !user.isActive) return null;
      await this.accounts.touchApiKey(candidate.id);
      return user;
    }
    return null;
  }

  private record(input: LoginInput, success: boolean): Promise<void> {
    return this.accounts.recordLoginAttempt({
      ipAddress: input.ipAddress.slice(0, 45),
      username: input.username.slice(0, 255),
      success,
      userAgent: input.userAgent,
    });
  }
}
