import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/knex';
import type {
  AccountStore, ApiKeyRecord, LoginAttempt, NewApiKey, NewUser, UserAccount,
} from '../../application/ports/account-store.port';
import type { Row, TableDef } from '../../domain/schema/column';
import { apiKeys, loginAttempts, systemSettings, users } from '../../domain/schema/aviary-schema';
import { isUuid } from '../../domain/schema/values';
import type { Engine } from './engine';
import { guarded } from './driver-errors';
import { decodeRow, encodeRow, encodeValue, normaliseRow } from './value-codec';

const col = (table: TableDef, name: string) => table.columns.find((c) => c.name === name)!;

/** The accounts port on the knex of the MikroORM instance, every value through the shared codec. */
export class MikroOrmAccountStore implements AccountStore {
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

  async findApiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]> {
    const rows = await this.run(() => this.knex(apiKeys.name).where('key_prefix', prefix).orderBy('id'));
    return rows.map((raw: Record<string, unknown>) => toApiKey(decodeRow(apiKeys, raw)));
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

  async countFailedAttempts(ipAddress: string, since: Date): Promise<number> {
    const sqlite = this.engine.dialect === 'sqlite';
    const query = this.knex(loginAttempts.name)
      .count({ n: '*' })
      .where({ ip_address: ipAddress, success: encodeValue(col(loginAttempts, 'success'), false, this.engine.dialect) })
      // SQLite keeps times as text with varying fraction digits: compare them as times, not strings.
      .whereRaw(sqlite ? 'julianday(attempted_at) >= julianday(?)' : 'attempted_at >= ?', [since.toISOString()]);
    const [row] = await this.run(() => query);
    return Number((row as { n: unknown }).n);
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

  async setPasswordHash(userId: string, passwordHash: string): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const now = this.time(users, 'updated_at');
    const changed = await this.run(() =>
      this.knex(users.name).where('id', userId.toLowerCase()).update({ password: passwordHash, updated_at: now }),
    );
    return changed === 1;
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
