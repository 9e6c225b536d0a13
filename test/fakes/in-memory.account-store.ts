import { randomUUID } from 'node:crypto';
import type {
  AccountStore, ApiKeyRecord, LoginAttempt, NewApiKey, NewSession, NewUser, SessionRecord, UserAccount,
} from '../../src/application/ports/account-store.port';

/** A hand-written fake for use-case tests; the real adapters pass their own contract suites. */
export class InMemoryAccountStore implements AccountStore {
  users: (UserAccount & { lastLogin?: Date })[] = [];
  keys: (ApiKeyRecord & { lastUsed?: Date })[] = [];
  attempts: (LoginAttempt & { at: Date })[] = [];
  settings = new Map<string, string>();
  sessions: SessionRecord[] = [];
  revoked = new Set<string>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async countUsers() {
    return this.users.length;
  }
  async findUserById(id: string) {
    return this.users.find((u) => u.id === id) ?? null;
  }
  async findUserByLogin(login: string) {
    return this.users.find((u) => u.username === login || u.email === login) ?? null;
  }
  async createUser(user: NewUser): Promise<UserAccount> {
    const created: UserAccount = {
      id: randomUUID(),
      username: user.username,
      email: user.email,
      passwordHash: user.passwordHash,
      isAdmin: user.isAdmin,
      isActive: true,
      rmapiPaired: false,
      defaultRmdir: '/',
      createdAt: this.now().toISOString(),
    };
    this.users.push(created);
    return created;
  }
  async recordLogin(userId: string) {
    const user = this.users.find((u) => u.id === userId);
    if (user) user.lastLogin = this.now();
  }
  async findApiKeysByPrefix(...prefixes: string[]) {
    return this.keys.filter((k) => prefixes.includes(k.keyPrefix));
  }
  async findTaggedApiKeys() {
    return this.keys.filter((k) => !k.keyPrefix.startsWith('aviary_'));
  }
  async setApiKeyPrefix(id: string, prefix: string) {
    const i = this.keys.findIndex((k) => k.id === id);
    if (i >= 0) this.keys[i] = { ...this.keys[i], keyPrefix: prefix };
  }
  async createSession(s: NewSession) {
    this.sessions.push({ id: s.id, userId: s.userId, tokenHash: s.tokenHash, expiresAt: s.expiresAt.toISOString(), lastUsed: null, revoked: false });
  }
  async findSession(id: string) {
    const s = this.sessions.find((x) => x.id === id);
    return s ? { ...s, revoked: this.revoked.has(id) } : null;
  }
  async touchSession(id: string) {
    const i = this.sessions.findIndex((x) => x.id === id);
    if (i >= 0) this.sessions[i] = { ...this.sessions[i], lastUsed: this.now().toISOString() };
  }
  async updatePassword(userId: string, passwordHash: string, keepSessionId?: string) {
    const user = this.users.find((u) => u.id === userId);
    if (!user) return false;
    Object.assign(user, { passwordHash });
    for (const s of this.sessions.filter((x) => x.userId === userId && x.id !== keepSessionId)) await this.revokeSession(s.id);
    return true;
  }
  async revokeSession(id: string) {
    this.revoked.add(id);
    this.sessions = this.sessions.filter((x) => x.id !== id);
  }
  async createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    const record = { id: randomUUID(), userId: key.userId, keyHash: key.keyHash, keyPrefix: key.keyPrefix, isActive: true, expiresAt: null };
    this.keys.push(record);
    return record;
  }
  async touchApiKey(id: string) {
    const key = this.keys.find((k) => k.id === id);
    if (key) key.lastUsed = this.now();
  }
  async recordLoginAttempt(attempt: LoginAttempt) {
    this.attempts.push({ ...attempt, at: this.now() });
  }
  async getSetting(key: string) {
    return this.settings.get(key) ?? null;
  }
  async setSetting(key: string, value: string) {
    this.settings.set(key, value);
  }
  /** rmapi_config per user id (UserAccount only says whether one is set). */
  rmapiConfigs = new Map<string, string>();
  async findFirstAdmin() {
    const admins = this.users.filter((u) => u.isAdmin && u.isActive);
    return admins.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))[0] ?? null;
  }

  async setRmapiConfigIfEmpty(userId: string, text: string) {
    const index = this.users.findIndex((u) => u.id === userId);
    if (index < 0 || (this.rmapiConfigs.get(userId) ?? '').trim() !== '') return false;
    this.rmapiConfigs.set(userId, text);
    this.users[index] = { ...this.users[index], rmapiPaired: text.trim() !== '' };
    return true;
  }
}
