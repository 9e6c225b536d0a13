import { createHash } from 'node:crypto';
import { DomainError } from '../../domain/errors';
import type { AccountStore, ApiKeyRecord, UserAccount } from '../ports/account-store.port';
import type { ApiKeyTagger } from '../ports/api-key-tagger.port';
import type { Clock, PasswordHasher } from '../ports/system.port';
import type { AttemptLimiter, LimitRule, Reservation } from './attempt-limiter';
import { apiKeyLookupPrefixes } from './api-key-prefixes';

export interface ApiKeyPolicy {
  /** Failed key attempts per client IP per window. */
  readonly perIp: LimitRule;
  /** Failed attempts on one stored key (someone holding its public prefix) per window. */
  readonly perKey: LimitRule;
}

/** Keys verified recently: no second bcrypt for a client that sends its key on every request. */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;
const MAX_KEY_LENGTH = 512;

export class TooManyAttemptsError extends DomainError {
  constructor() {
    super('rate_limited', 'too_many_attempts', 'Too many failed attempts; try again later');
  }
}

/**
 * API keys: one lookup by prefix or keyed tag (a guess finds a row only if it shares an Aviary
 * key's public first 16 characters, or is the tagged key itself), bcrypt only for active,
 * unexpired candidates, and only inside a reserved attempt slot per IP and per stored key.
 * Identical keys checked at the same moment share one verification.
 */
export class ApiKeyAuthenticator {
  private readonly inFlight = new Map<string, Promise<UserAccount | null>>();
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly hasher: PasswordHasher,
    private readonly tagger: ApiKeyTagger,
    private readonly limiter: AttemptLimiter,
    private readonly clock: Clock,
    private readonly policy: ApiKeyPolicy,
  ) {}

  /** The key's owner, null for a wrong, inactive or expired key; TooManyAttemptsError when limited. */
  async authenticate(key: string, ipAddress: string): Promise<UserAccount | null> {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) return null;
    const digest = createHash('sha256').update(key, 'utf8').digest('hex');
    const running = this.inFlight.get(digest);
    if (running) return running;
    const work = this.check(key, digest, ipAddress).finally(() => this.inFlight.delete(digest));
    this.inFlight.set(digest, work);
    return work;
  }

  private async check(key: string, digest: string, ipAddress: string): Promise<UserAccount | null> {
    const now = this.clock.now().getTime();
    const live = (await this.accounts.findApiKeysByPrefix(...apiKeyLookupPrefixes(key, this.tagger))).filter(
      (k) => k.isActive && !(k.expiresAt && Date.parse(k.expiresAt) <= now),
    );
    for (const candidate of live) {
      if ((this.verified.get(cacheKey(candidate, digest)) ?? 0) > now) return this.owner(candidate);
    }
    const slots: Reservation[] = [];
    const reserve = async (rule: LimitRule, subject: string) => {
      const slot = await this.limiter.reserve(rule, subject);
      if (!slot) {
        await Promise.all(slots.map((s) => s.release()));
        throw new TooManyAttemptsError();
      }
      slots.push(slot);
    };
    // A key that finds nothing costs no bcrypt but still counts as a failure of this IP.
    await reserve(this.policy.perIp, ipAddress);
    for (const candidate of live) await reserve(this.policy.perKey, candidate.id);
    for (const candidate of live) {
      if (!(await this.hasher.verify(key, candidate.keyHash))) continue;
      await Promise.all(slots.map((s) => s.release()));
      this.remember(cacheKey(candidate, digest), now + VERIFIED_TTL_MS);
      return this.owner(candidate);
    }
    return null;
  }

  private async owner(key: ApiKeyRecord): Promise<UserAccount | null> {
    const user = await this.accounts.findUserById(key.userId);
    if (!user || !user.isActive) return null;
    await this.accounts.touchApiKey(key.id);
    return user;
  }

  private remember(entry: string, until: number): void {
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(entry, until);
  }
}

/** Bound to the row and its hash: a replaced or deactivated key is never served from memory. */
const cacheKey = (key: ApiKeyRecord, digest: string) => `${key.id}:${key.keyHash}:${digest}`;
