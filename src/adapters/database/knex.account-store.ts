import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/knex';
import type {
  AccountStore, ApiKeyRecord, LoginAttempt, NewApiKey, NewSession, NewUser, SessionRecord, UserAccount,
} from '../../application/ports/account-store.port';
import type { Row, TableDef } from '../../domain/schema/column';
import { apiKeys, loginAttempts, systemSettings, userSessions, users } from '../../domain/schema/aviary-schema';
import { isUuid } from '../../domain/schema/values';
import type { Engine } from './engine';
import { guarded } from './driver-errors';
import { decodeRow, encodeRow, encodeValue, normaliseRow } from './value-codec';

const col = (table: TableDef, name: string) => table.columns.find((c) => c.name === name)!;
const REVOKED = 'aviary_revoked_sessions';

/** The accounts port on the knex of the MikroORM instance, every value through the shared codec. */
export class KnexAccountStore implements AccountStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async countUsers(): Promise<number> {
    const [row] = await this.run(() => this.knex(users.name).count({ n: '*' }));
    return Number((row as { n: unknown }).n);
  }

  async findUserById(id: string): Promise<UserAccount | null> {
    if (!isUuid(id)) return null;
    return this.findUser((q) => q.where('id', id.toLowerCase()));
  }

  /** Like Aviary's `First`: the lowest id wins when a username equals another user's email. */
  findUserByLogin(login: string): Promise<UserAccount | null> {
    return this.findUser((q) => q.where('username', login).orWhere('email', login));
  }

  async createUser(user: NewUser): Promise<UserAccount> {
    const row = await this.insert(users, {
      id: randomUUID(),
      username: user.username,
      email: user.email,
      password: user.passwordHash,
      is_admin: user.isAdmin,
      folder_refresh_percent: randomInt(1, 100), // Aviary spreads folder refreshes over 1–99
    });
    return toAccount(row);
  }

  async recordLogin(userId: string): Promise<void> {
    if (!isUuid(userId)) return;
    const now = this.time(users, 'last_login');
    await this.run(() => this.knex(users.name).where('id', userId).update({ last_login: now, updated_at: now }));
  }

  async findApiKeysByPrefix(...prefixes: string[]): Promise<ApiKeyRecord[]> {
    const rows = await this.run(() => this.knex(apiKeys.name).whereIn('key_prefix', prefixes).orderBy('id'));
    return rows.map((raw: Record<string, unknown>) => toApiKey(decodeRow(apiKeys, raw)));
  }

  async findTaggedApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.run(() => this.knex(apiKeys.name).whereRaw("substr(key_prefix, 1, 7) <> 'aviary_'").orderBy('id'));
    return rows.map((raw: Record<string, unknown>) => toApiKey(decodeRow(apiKeys, raw)));
  }

  async setApiKeyPrefix(id: string, prefix: string): Promise<void> {
    if (!isUuid(id)) return;
    await this.run(() => this.knex(apiKeys.name).where('id', id.toLowerCase()).update({ key_prefix: prefix }));
  }

  async createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    const row = await this.insert(apiKeys, {
      id: randomUUID(),
      user_id: key.userId,
      name: key.name,
      key_hash: key.keyHash,
      key_prefix: key.keyPrefix,
    });
    return toApiKey(row);
  }

  async touchApiKey(id: string): Promise<void> {
    if (!isUuid(id)) return;
    const now = this.time(apiKeys, 'last_used');
    await this.run(() => this.knex(apiKeys.name).where('id', id).update({ last_used: now }));
  }

  async recordLoginAttempt(attempt: LoginAttempt): Promise<void> {
    await this.insert(loginAttempts, {
      id: randomUUID(),
      ip_address: attempt.ipAddress,
      username: attempt.username,
      success: attempt.success,
      user_agent: attempt.userAgent,
    });
  }

  async createSession(session: NewSession): Promise<void> {
    await this.insert(userSessions, {
      id: session.id,
      user_id: session.userId,
      token_hash: session.tokenHash,
      expires_at: session.expiresAt.toISOString(),
      user_agent: session.userAgent,
      ip_address: session.ipAddress.slice(0, 45),
    });
  }

  async findSession(id: string): Promise<SessionRecord | null> {
    if (!isUuid(id)) return null;
    const sessionId = id.toLowerCase();
    const raw = await this.run(() => this.knex(userSessions.name).where('id', sessionId).first());
    if (!raw) return null;
    const row = decodeRow(userSessions, raw as Record<string, unknown>);
    const revoked = await this.run(() => this.knex(REVOKED).where('session_id', sessionId).first('session_id'));
    return {
      id: String(row.id),
      userId: String(row.user_id),
      tokenHash: String(row.token_hash ?? ''),
      expiresAt: String(row.expires_at),
      lastUsed: row.last_used === null ? null : String(row.last_used),
      revoked: Boolean(revoked),
    };
  }

  async touchSession(id: string): Promise<void> {
    if (!isUuid(id)) return;
    const now = this.time(userSessions, 'last_used');
    await this.run(() => this.knex(userSessions.name).where('id', id.toLowerCase()).update({ last_used: now }));
  }

  /** The revocation first: a crash between the two statements leaves the session refused, not alive. */
  async revokeSession(id: string, expiresAt: Date): Promise<void> {
    if (!isUuid(id)) return;
    const sessionId = id.toLowerCase();
    const now = Date.now();
    await this.run(() => this.knex(REVOKED).insert({ session_id: sessionId, expires_at: expiresAt.getTime() }).onConflict('session_id').ignore());
    await this.run(() => this.knex(userSessions.name).where('id', sessionId).delete());
    // Past its expiry a token is refused anyway: the revocation can go.
    await this.run(() => this.knex(REVOKED).where('expires_at', '<', now).delete());
  }

  async updatePassword(userId: string, passwordHash: string, keepSessionId?: string): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const id = userId.toLowerCase();
    const now = this.time(users, 'updated_at');
    const changed = await this.run(() => this.knex(users.name).where('id', id).update({ password: passwordHash, updated_at: now }));
    if (Number(changed) === 0) return false;
    const others = (await this.run(() =>
      this.knex(userSessions.name).where('user_id', id).whereNot('id', keepSessionId && isUuid(keepSessionId) ? keepSessionId.toLowerCase() : '').select('id', 'expires_at'),
    )) as { id: string; expires_at: unknown }[];
    for (const session of others) {
      const expires = decodeRow(userSessions, { ...session, user_id: id, token_hash: '-' } as Record<string, unknown>).expires_at;
      await this.revokeSession(String(session.id), new Date(Date.parse(String(expires)) || Date.now() + 86_400_000));
    }
    return true;
  }

  async getSetting(key: string): Promise<string | null> {
    const raw = await this.run(() => this.knex(systemSettings.name).where('key', key).first('value'));
    return raw ? String((raw as { value: unknown }).value) : null;
  }

  /** Upsert; an omitted description keeps the stored one. */
  async setSetting(key: string, value: string, description?: string): Promise<void> {
    const setting = normaliseRow(systemSettings, { key, value, description: description ?? '' }, new Date());
    const row = encodeRow(systemSettings, setting, this.engine.dialect);
    const merged = description === undefined ? ['value', 'updated_at'] : ['value', 'description', 'updated_at'];
    await this.run(() => this.knex(systemSettings.name).insert(row).onConflict('key').merge(merged));
  }

  /** Oldest active admin; SQLite keeps times as text with varying fraction digits, so order by julianday. */
  findFirstAdmin(): Promise<UserAccount | null> {
    const yes = (table: TableDef, name: string) => encodeValue(col(table, name), true, this.engine.dialect);
    const order = this.engine.dialect === 'sqlite' ? 'julianday(created_at), id' : 'created_at, id';
    return this.findUser((q) => q.where({ is_admin: yes(users, 'is_admin'), is_active: yes(users, 'is_active') }).orderByRaw(order));
  }

  async setRmapiConfigIfEmpty(userId: string, text: string): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const now = this.time(users, 'updated_at');
    const changed = await this.run(() =>
      this.knex(users.name)
        .where('id', userId.toLowerCase())
        .andWhereRaw("trim(coalesce(rmapi_config, '')) = ''")
        .update({ rmapi_config: text, updated_at: now }),
    );
    return changed === 1;
  }

  private async findUser(where: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<UserAccount | null> {
    const raw = await this.run(() => where(this.knex(users.name)).orderBy('id').first());
    return raw ? toAccount(decodeRow(users, raw as Record<string, unknown>)) : null;
  }

  private async insert(table: TableDef, values: Row): Promise<Row> {
    const row = normaliseRow(table, values, new Date());
    const encoded = encodeRow(table, row, this.engine.dialect);
    await this.run(() => this.knex(table.name).insert(encoded), `insert into ${table.name}`);
    return row;
  }

  private time(table: TableDef, name: string): unknown {
    return encodeValue(col(table, name), new Date().toISOString(), this.engine.dialect);
  }

  private run<T>(work: () => PromiseLike<T>, context?: string): Promise<T> {
    return guarded(this.engine, work, context);
  }
}

function toAccount(row: Row): UserAccount {
  return {
    id: String(row.id),
    username: String(row.username),
    email: String(row.email),
    passwordHash: String(row.password),
    isAdmin: row.is_admin === true,
    isActive: row.is_active === true,
    rmapiPaired: String(row.rmapi_config ?? '').trim() !== '',
    defaultRmdir: String(row.default_rmdir),
    createdAt: String(row.created_at),
  };
}

function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    userId: String(row.user_id),
    keyHash: String(row.key_hash),
    keyPrefix: String(row.key_prefix),
    isActive: row.is_active === true,
    expiresAt: row.expires_at === null ? null : String(row.expires_at),
  };
}
