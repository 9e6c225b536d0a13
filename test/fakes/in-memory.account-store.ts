import { randomUUID } from 'node:crypto';
import type {
  AccountStore, ApiKeyRecord, LoginAttempt, NewApiKey, NewUser, UserAccount,
} from '../../src/application/ports/account-store.port';

/** A hand-written fake for use-case tests; the real adapters pass their own contract suites. */
export class InMemoryAccountStore implements AccountStore {
  users: (UserAccount & { lastLogin?: Date })[] = [];
  keys: (ApiKeyRecord & { lastUsed?: Date })[] = [];
  attempts: (LoginAttempt & { at: Date })[] = [];
  settings = new Map<string, string>();

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
  async findApiKeysByPrefix(prefix: string) {
    return this.keys.filter((k) => k.keyPrefix === prefix);
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
  async countFailedAttempts(ip: string, since: Date) {
    return this.attempts.filter((a) => a.ipAddress === ip && !a.success && a.at >= since).length;
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
  async setPasswordHash(userId: string, passwordHash: string) {
    const index = this.users.findIndex((u) => u.id === userId);
    if (index < 0) return false;
    this.users[index] = { ...this.users[index], passwordHash };
    return true;
  }

  async setRmapiConfigIfEmpty(userId: string, text: string) {
    const index = this.users.findIndex((u) => u.id === userId);
    if (index < 0 || (this.rmapiConfigs.get(userId) ?? '').trim() !== '') return false;
    this.rmapiConfigs.set(userId, text);
    this.users[index] = { ...this.users[index], rmapiPaired: text.trim() !== '' };
    return true;
  }
}
