import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, DomainError, InvalidInputError } from '../../domain/errors';
import { MIN_PASSWORD_LENGTH } from '../../domain/password';
import { isUuid } from '../../domain/schema/values';
import type { AccountStore, UserAccount } from '../ports/account-store.port';
import type { Clock, PasswordHasher } from '../ports/system.port';
import type { TokenService } from '../ports/token-service.port';
import type { ApiKeyAuthenticator } from './api-key-authenticator';
import type { AttemptLimiter, LimitRule } from './attempt-limiter';

export interface LoginPolicy {
  /** Failed logins per client IP per window. */
  readonly perIp: LimitRule;
  /** Failed logins per account (or per unknown login name) per window, whatever the IP. */
  readonly perAccount: LimitRule;
}

/** A signed-in user as an embedding host application vouches for it (see `fromHost`). */
export interface HostIdentity {
  /** A UUID: jobs and uploads record it in `admin_user_id` columns, which are `uuid` on PostgreSQL. */
  readonly id: string;
  readonly username: string;
  readonly isAdmin: boolean;
  readonly email?: string;
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
/** last_used is written at most this often per session (not on every request). */
const TOUCH_EVERY_MS = 60_000;

function hostIdentityProblem(identity: HostIdentity): string | undefined {
  if (typeof identity !== 'object' || identity === null) return 'expected { id, username, isAdmin } or null';
  if (typeof identity.id !== 'string' || !isUuid(identity.id)) return 'id must be a UUID (it is stored in uuid columns)';
  if (typeof identity.username !== 'string' || identity.username === '') return 'username must be a non-empty string';
  if (typeof identity.isAdmin !== 'boolean') return 'isAdmin must be a boolean';
  if (identity.email !== undefined && typeof identity.email !== 'string') return 'email must be a string when given';
  return undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Password logins, sessions and API keys: who is calling, or null. */
export class Authenticator {
  constructor(
    private readonly accounts: AccountStore,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly limiter: AttemptLimiter,
    private readonly policy: LoginPolicy,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {}

  /**
   * Every attempt is written to login_attempts. A slot is reserved per IP and per account before
   * the password is compared, so concurrent attempts never exceed the limits; a success gives its
   * slots back, a failure keeps them. Over a limit: too_many_attempts, even for the right password.
   */
  async login(input: LoginInput): Promise<{ token: string; user: UserAccount }> {
    if (!input.username || !input.password) throw new LoginError('invalid_request');
    const ipSlot = await this.limiter.reserve(this.policy.perIp, input.ipAddress);
    if (!ipSlot) return this.refuse(input, 'too_many_attempts');
    const user = await this.accounts.findUserByLogin(input.username);
    const account = user ? `user:${user.id}` : `name:${sha256(input.username.toLowerCase()).toString('hex').slice(0, 40)}`;
    const accountSlot = await this.limiter.reserve(this.policy.perAccount, account);
    if (!accountSlot) {
      await ipSlot.release();
      return this.refuse(input, 'too_many_attempts');
    }
    const ok = await this.hasher.verify(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return this.refuse(input, 'invalid_credentials');
    if (!user.isActive) return this.refuse(input, 'account_disabled');
    await Promise.all([ipSlot.release(), accountSlot.release()]);
    await this.record(input, true);
    await this.accounts.recordLogin(user.id);
    const sessionId = randomUUID();
    const { token, expiresAt } = this.tokens.sign({ userId: user.id, sessionId });
    await this.accounts.createSession({
      id: sessionId,
      userId: user.id,
      tokenHash: sha256(token).toString('hex'),
      expiresAt,
      userAgent: input.userAgent,
      ipAddress: input.ipAddress,
    });
    return { token, user };
  }

  /** Ends the token's session for good (a restore cannot bring it back). Unknown tokens: nothing to do. */
  async logout(token: string): Promise<void> {
    const claims = this.tokens.verify(token);
    if (claims) await this.accounts.revokeSession(claims.sessionId, claims.expiresAt);
  }

  /**
   * The user behind a session token: signature, `exp` and session id valid, its `user_sessions` row
   * present, unexpired, not revoked and holding this token's hash, and the user still active.
   */
  async fromToken(token: string): Promise<UserAccount | null> {
    const claims = this.tokens.verify(token);
    if (!claims) return null;
    const session = await this.accounts.findSession(claims.sessionId);
    if (!session || session.revoked || session.userId !== claims.userId) return null;
    const now = this.clock.now().getTime();
    if (!(Date.parse(session.expiresAt) > now)) return null;
    const stored = Buffer.from(session.tokenHash, 'hex');
    const presented = sha256(token);
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return null;
    const user = await this.accounts.findUserById(claims.userId);
    if (!user || !user.isActive) return null;
    if (!session.lastUsed || now - Date.parse(session.lastUsed) > TOUCH_EVERY_MS) await this.accounts.touchSession(session.id);
    return user;
  }

  /**
   * The caller a trusted host application names. When the id is a user of this database, that
   * account decides (its is_admin; a disabled account is nobody, as at login); otherwise the
   * host's word is taken as given. A malformed identity is the host's programming error.
   */
  async fromHost(identity: HostIdentity): Promise<UserAccount | null> {
    const problem = hostIdentityProblem(identity);
    if (problem) throw new DomainError('internal', 'invalid_host_user', `authenticate() returned an unusable user: ${problem}`);
    const user = await this.accounts.findUserById(identity.id);
    if (user) return user.isActive ? user : null;
    return {
      id: identity.id,
      username: identity.username,
      email: identity.email ?? '',
      passwordHash: '',
      isAdmin: identity.isAdmin,
      isActive: true,
      rmapiPaired: false,
      defaultRmdir: '/',
      createdAt: '',
    };
  }

  /**
   * Aviary's `PUT /api/profile/password`: the current password is checked (counted against the
   * account's attempt limit like a login), the new one needs 8 characters, and every other session
   * of the user ends. The session making the change stays signed in.
   */
  async changePassword(input: { userId: string; sessionId?: string; currentPassword: string; newPassword: string }): Promise<void> {
    if ([...input.newPassword].length < MIN_PASSWORD_LENGTH) {
      throw new InvalidInputError('password_too_short', `The new password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const user = await this.accounts.findUserById(input.userId);
    if (!user) throw new AuthenticationError();
    const slot = await this.limiter.reserve(this.policy.perAccount, `user:${user.id}`);
    if (!slot) throw new DomainError('rate_limited', 'too_many_attempts', 'Too many wrong passwords for this account; wait a few minutes and try again');
    if (!(await this.hasher.verify(input.currentPassword, user.passwordHash))) {
      throw new DomainError('unauthenticated', 'current_password_incorrect', 'Current password is incorrect');
    }
    await slot.release();
    await this.accounts.updatePassword(user.id, await this.hasher.hash(input.newPassword), input.sessionId);
  }

  /** The session a token belongs to, when the token is valid. */
  sessionOf(token: string): string | undefined {
    return this.tokens.verify(token)?.sessionId;
  }

  /** The owner of an API key (see ApiKeyAuthenticator); throws a rate_limited error when limited. */
  fromApiKey(key: string, ipAddress: string): Promise<UserAccount | null> {
    return this.apiKeys.authenticate(key, ipAddress);
  }

  private async refuse(input: LoginInput, kind: 'too_many_attempts' | 'invalid_credentials' | 'account_disabled'): Promise<never> {
    await this.record(input, false);
    throw new LoginError(kind);
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
