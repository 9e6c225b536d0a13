import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Knex } from '@mikro-orm/knex';
import { gormAviaryDdl, type GormDialect, type GormLayout } from './gorm-schema';
import { goSqliteTime, RowSql } from './sql-expr';

/**
 * Fills an empty database with the tables Aviary's GORM models create and rows shaped like a
 * long-running, upgraded install: columns added by later releases are NULL in older rows (users
 * before the pairing and conversion settings, documents before paths and types, sessions and
 * login attempts without a user agent, …), values have realistic sizes (bcrypt hashes, rmapi
 * pairing files with tokens, folder-cache JSON) and every reference resolves. Rows are generated
 * by the database itself (recursive CTE on SQLite, generate_series on PostgreSQL) in one
 * transaction; indexes are built after the load, as the same statements GORM runs.
 */

export interface AviaryDbCounts {
  readonly users: number;
  readonly api_keys: number;
  readonly user_sessions: number;
  readonly user_folders_cache: number;
  readonly documents: number;
  readonly login_attempts: number;
}

/** A large install: 1,590,010 rows with the 10 system settings. */
export const FULL_SCALE: AviaryDbCounts = {
  users: 10_000,
  api_keys: 20_000,
  user_sessions: 50_000,
  user_folders_cache: 10_000,
  documents: 500_000,
  login_attempts: 1_000_000,
};

export const SYSTEM_SETTINGS_ROWS = 10;

/** Counts in FULL_SCALE's proportions adding up to about `totalRows`. */
export function countsForScale(totalRows: number): AviaryDbCounts {
  const full = Object.values(FULL_SCALE).reduce((a, b) => a + b, 0);
  const factor = Math.max(0, totalRows - SYSTEM_SETTINGS_ROWS) / full;
  if (Math.abs(factor - 1) < 0.001) return FULL_SCALE; // "1.59M" means the large install itself
  const scaled = (n: number) => Math.max(1, Math.round(n * factor));
  const users = scaled(FULL_SCALE.users);
  return {
    users,
    api_keys: scaled(FULL_SCALE.api_keys),
    user_sessions: scaled(FULL_SCALE.user_sessions),
    // one cache row per (user, folder path): at most a handful of folders per user
    user_folders_cache: Math.min(scaled(FULL_SCALE.user_folders_cache), users * 20),
    documents: scaled(FULL_SCALE.documents),
    login_attempts: scaled(FULL_SCALE.login_attempts),
  };
}

export interface GenerateOptions {
  readonly counts: AviaryDbCounts;
  readonly layout?: GormLayout;
  /** Labels the deterministic parts (tokens, API keys). */
  readonly seed?: string;
  /** bcrypt cost of the real password and API-key hashes (Aviary uses 10). */
  readonly bcryptCost?: number;
  /** How many API keys get a real, usable key (the rest are bcrypt-shaped values nobody knows). */
  readonly usableApiKeys?: number;
  /** Times are spread over the two years before this instant. */
  readonly now?: Date;
}

export interface GeneratedUser {
  readonly n: number;
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly isActive: boolean;
  readonly isAdmin: boolean;
}

export interface GeneratedApiKey {
  readonly id: string;
  readonly userId: string;
  readonly key: string;
  /** Active and not expired: the key should authenticate. */
  readonly usable: boolean;
}

export interface GenerateResult {
  readonly rows: Record<string, number>;
  readonly elapsedMs: number;
  /** Users 1..min(users, 50) with their passwords (every user's password follows `passwordOf`). */
  readonly users: readonly GeneratedUser[];
  readonly apiKeys: readonly GeneratedApiKey[];
}

const PASSWORD_POOL = 4;
const DAY = 86_400;

/** Rules shared by the SQL and the credentials handed back (row number n starts at 1). */
export const userRules = {
  username: (n: number) => `user${n}`,
  password: (n: number) => `aviary-password-${(n - 1) % PASSWORD_POOL}`,
  isActive: (n: number) => n % 13 !== 0,
  isAdmin: (n: number) => n === 1 || n % 500 === 0,
};
const keyRules = {
  owner: (n: number, users: number) => ((n - 1) % users) + 1,
  isActive: (n: number) => n % 7 !== 0,
  /** n % 8 = 0: expired; n % 8 = 4: expires in the future; else no expiry. */
  expiry: (n: number): 'none' | 'past' | 'future' => (n % 8 === 0 ? 'past' : n % 8 === 4 ? 'future' : 'none'),
};

export async function generateAviaryDatabase(db: Knex, dialect: GormDialect, options: GenerateOptions): Promise<GenerateResult> {
  const started = Date.now();
  const { counts } = options;
  if (counts.users < 1) throw new Error('at least one user is needed');
  const seed = options.seed ?? 'aviary';
  const cost = options.bcryptCost ?? 10;
  const now = options.now ?? new Date();
  const base = Math.floor(now.getTime() / 1000) - 3600; // every generated time lies an hour or more back
  const sql = new RowSql(dialect);
  const passwords = await Promise.all(
    Array.from({ length: PASSWORD_POOL }, (_, i) => bcrypt.hash(userRules.password(i + 1), cost)),
  );
  const usable = Math.min(counts.api_keys, options.usableApiKeys ?? 12);
  const keys = await Promise.all(
    Array.from({ length: usable }, async (_, i) => {
      const n = i + 1;
      const key = `aviary_${createHash('sha256').update(`${seed}:api-key:${n}`).digest('hex').slice(0, 40)}`;
      return { n, key, hash: await bcrypt.hash(key, cost) };
    }),
  );
  const ddl = gormAviaryDdl(dialect, options.layout ?? 'upgraded');

  await db.transaction(async (trx) => {
    if (dialect === 'sqlite') await trx.raw('PRAGMA defer_foreign_keys = on');
    for (const statement of ddl.tables) await trx.raw(statement);
    const ctx: Ctx = { trx, sql, counts, base, seed };
    await users(ctx, passwords);
    await apiKeys(ctx, keys);
    await sessions(ctx);
    await folderCaches(ctx);
    await documents(ctx);
    await settings(ctx);
    await loginAttempts(ctx);
    for (const statement of ddl.indexes) await trx.raw(statement);
  });
  if (dialect === 'postgres') await db.raw('ANALYZE');

  const idOf = async (salt: number, n: number) => {
    const expr = dialect === 'postgres' ? `(${sql.uuid(salt, String(n))})::text` : sql.uuid(salt, String(n));
    const row = (await db.raw(`SELECT ${expr} AS id`)) as unknown;
    const rows = dialect === 'postgres' ? (row as { rows: { id: string }[] }).rows : (row as { id: string }[]);
    return rows[0].id;
  };
  const listed = Math.min(counts.users, 50);
  const userList: GeneratedUser[] = [];
  for (let n = 1; n <= listed; n++) {
    userList.push({
      n,
      id: await idOf(USER_SALT, n),
      username: userRules.username(n),
      password: userRules.password(n),
      isActive: userRules.isActive(n),
      isAdmin: userRules.isAdmin(n),
    });
  }
  const keyList: GeneratedApiKey[] = [];
  for (const k of keys) {
    const owner = keyRules.owner(k.n, counts.users);
    keyList.push({
      id: await idOf(KEY_SALT, k.n),
      userId: await idOf(USER_SALT, owner),
      key: k.key,
      usable: keyRules.isActive(k.n) && userRules.isActive(owner) && keyRules.expiry(k.n) !== 'past',
    });
  }
  return {
    rows: { ...counts, system_settings: SYSTEM_SETTINGS_ROWS },
    elapsedMs: Date.now() - started,
    users: userList,
    apiKeys: keyList,
  };
}

const USER_SALT = 1;
const KEY_SALT = 2;

interface Ctx {
  readonly trx: Knex.Transaction;
  readonly sql: RowSql;
  readonly counts: AviaryDbCounts;
  readonly base: number;
  readonly seed: string;
}

async function insert(ctx: Ctx, table: string, columns: Record<string, string>, from: number, to: number): Promise<void> {
  if (to < from) return;
  await ctx.trx.raw(ctx.sql.insertSeries(table, Object.keys(columns), Object.values(columns), from, to));
}

/** A time within `spanDays` before the base instant, shifted by `offsetDays`. */
function timeBack(ctx: Ctx, salt: number, spanDays: number, offsetDays = 0, n = 'n'): string {
  const { sql } = ctx;
  const epoch = `${ctx.base + offsetDays * DAY} - (${sql.hash(n, salt)}) % ${spanDays * DAY}`;
  return sql.time(n, epoch, `(${sql.hash(n, salt + 7)}) % 1000000`);
}

function ownerId(ctx: Ctx): string {
  return ctx.sql.uuid(USER_SALT, `((n - 1) % ${ctx.counts.users}) + 1`);
}

/** A fake JWT of about `chars` characters, different per row (its claims as random hex). */
function token(ctx: Ctx, salt: number, chars: number): string {
  return `'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' || ${ctx.sql.noise('n', salt, chars)} || '.' || ${ctx.sql.hex('n', salt + 1, 43)}`;
}

async function users(ctx: Ctx, passwords: string[]): Promise<void> {
  const { sql } = ctx;
  // Rows n % 3 = 0 predate the pairing and conversion settings; n % 5 = 0 predate password reset.
  const old = 'n % 3 = 0';
  const noReset = 'n % 5 = 0';
  const pairing =
    `'[device]\ndevicetoken = ' || ${token(ctx, 11, 420)} || '\n[user]\nusertoken = ' || ${token(ctx, 13, 760)} || '\n'`;
  await insert(
    ctx,
    'users',
    {
      id: sql.uuid(USER_SALT, 'n'),
      username: `'user' || n`,
      email: `'user' || n || '@example.org'`,
      password: sql.pick('n - 1', passwords.map((p) => sql.lit(p))),
      is_admin: sql.bool('n = 1 OR n % 500 = 0'),
      is_active: sql.bool('n % 13 <> 0'),
      rmapi_host: `(CASE WHEN n % 5 = 1 THEN 'https://rmfakecloud.example.org' ELSE '' END)`,
      default_rmdir: sql.pick('n', [`'/'`, `'/'`, `'/Aviary'`, `'/Inbox'`]),
      folder_refresh_percent: `1 + (${sql.hash('n', 20)}) % 99`,
      coverpage_setting: sql.nullIf(old, sql.pick('n', [`'current'`, `'first'`, `''`])),
      contrast_setting: sql.nullIf(old, sql.pick('n', [`'none'`, `'low'`, `'none'`, `'high'`])),
      conflict_resolution: sql.pick('n', [`'abort'`, `'overwrite'`, `'content_only'`]),
      folder_depth_limit: 'n % 6',
      folder_exclusion_list: sql.nullIf(old, `(CASE WHEN n % 4 = 1 THEN 'Trash,Archive/Old stuff' ELSE '' END)`),
      page_resolution: sql.nullIf(old, sql.pick('n', [`'1404x1872'`, `''`, `'1620x2160'`, `'1872x1404'`])),
      page_dpi: sql.nullIf(old, sql.pick('n', ['226', '0', '229', '226.5'])),
      conversion_output_format: sql.pick('n', [`'epub'`, `'pdf'`]),
      rmapi_config: sql.nullIf(old, `(CASE WHEN n % 7 = 1 THEN '' ELSE ${pairing} END)`),
      pdf_background_removal: sql.nullIf(old, sql.bool('n % 2 = 0')),
      experimental_download_link: sql.nullIf(`${old} OR n % 4 = 1`, sql.bool('n % 4 = 2')),
      reset_token: `(CASE WHEN ${noReset} THEN NULL WHEN n % 17 = 0 THEN ${sql.hex('n', 30, 64)} ELSE '' END)`,
      reset_token_expires: `(CASE WHEN ${noReset} THEN NULL WHEN n % 17 = 0 THEN ${timeBack(ctx, 31, 2, 1)} ELSE ${sql.zeroTime()} END)`,
      oidc_subject: `(CASE WHEN n % 10 = 3 THEN 'oidc|' || ${sql.hex('n', 32, 24)} ELSE NULL END)`,
      created_at: timeBack(ctx, 33, 730, -30),
      updated_at: timeBack(ctx, 34, 30),
      last_login: sql.nullIf('n % 6 = 0', timeBack(ctx, 35, 60)),
    },
    1,
    ctx.counts.users,
  );
}

async function apiKeys(ctx: Ctx, usable: { n: number; key: string; hash: string }[]): Promise<void> {
  const { sql, trx, counts } = ctx;
  // Usable keys: the same shape, written from here because their hashes come from bcrypt.
  for (const k of usable) {
    const owner = keyRules.owner(k.n, counts.users);
    const at = (days: number) => new Date((ctx.base + days * DAY) * 1000);
    const time = (days: number) => (sql.dialect === 'sqlite' ? goSqliteTime(at(days), -360) : at(days).toISOString());
    const expiry = keyRules.expiry(k.n);
    const ids = await trx.raw(
      `SELECT ${sql.uuid(KEY_SALT, String(k.n))} AS id, ${sql.uuid(USER_SALT, String(owner))} AS user_id`,
    );
    const row = (sql.dialect === 'postgres' ? (ids as { rows: Record<string, string>[] }).rows : (ids as Record<string, string>[]))[0];
    await trx('api_keys').insert({
      id: row.id,
      user_id: row.user_id,
      name: `Key ${k.n}`,
      key_hash: k.hash,
      key_prefix: k.key.slice(0, 16),
      is_active: sql.dialect === 'sqlite' ? Number(keyRules.isActive(k.n)) : keyRules.isActive(k.n),
      last_used: k.n % 3 === 0 ? null : time(-k.n),
      expires_at: expiry === 'none' ? null : time(expiry === 'past' ? -2 : 365),
      created_at: time(-100 - k.n),
    });
  }
  const fakeHash = `'$2a$10$' || ${sql.noise('n', 40, 53)}`;
  await insert(
    ctx,
    'api_keys',
    {
      id: sql.uuid(KEY_SALT, 'n'),
      user_id: ownerId(ctx),
      name: sql.pick('n', [`'Shortcuts'`, `'Home Assistant'`, `'Key ' || n`, `'paperless'`]),
      key_hash: fakeHash,
      key_prefix: `'aviary_' || ${sql.hex('n', 41, 9)}`,
      is_active: sql.bool('n % 7 <> 0'),
      last_used: sql.nullIf('n % 3 = 0', timeBack(ctx, 42, 20)),
      expires_at: `(CASE WHEN n % 8 = 0 THEN ${timeBack(ctx, 43, 30)} WHEN n % 8 = 4 THEN ${timeBack(ctx, 43, 30, 400)} ELSE NULL END)`,
      created_at: timeBack(ctx, 44, 400, -20),
    },
    usable.length + 1,
    counts.api_keys,
  );
}

const AGENTS = [
  `'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'`,
  `'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'`,
  `'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'`,
  `'curl/8.5.0'`,
];

async function sessions(ctx: Ctx): Promise<void> {
  const { sql } = ctx;
  await insert(
    ctx,
    'user_sessions',
    {
      id: sql.uuid(3, 'n'),
      user_id: ownerId(ctx),
      token_hash: sql.hex('n', 50, 64),
      expires_at: timeBack(ctx, 51, 40, 30),
      created_at: timeBack(ctx, 51, 40),
      last_used: timeBack(ctx, 52, 5),
      user_agent: sql.nullIf('n % 5 = 0', sql.pick('n', AGENTS)),
      ip_address: sql.nullIf('n % 10 = 0', `'192.168.' || (n % 256) || '.' || ((${sql.hash('n', 53)}) % 256)`),
    },
    1,
    ctx.counts.user_sessions,
  );
}

async function folderCaches(ctx: Ctx): Promise<void> {
  const { sql } = ctx;
  const folders = ['Books', 'Books/Fiction', 'Books/Non-fiction', 'Papers', 'Papers/2024', 'Papers/2025', 'Inbox', 'Aviary', 'Comics'];
  const listing = folders.map((f) => `"/${f}"`).join(',');
  // One row per (user, path): row n is path number (n - 1) / users of user (n - 1) % users + 1.
  const index = `((n - 1) / ${ctx.counts.users})`;
  await insert(
    ctx,
    'user_folders_cache',
    {
      id: sql.uuid(4, 'n'),
      user_id: ownerId(ctx),
      folder_path: `(CASE WHEN ${index} = 0 THEN '/' ELSE '/Folder ' || ${index} END)`,
      folder_data: `'[${listing},"/Projects/' || ${sql.hex('n', 60, 8)} || '","/Projects/' || ${sql.hex('n', 61, 8)} || '/Notes"]'`,
      last_updated: timeBack(ctx, 62, 3),
    },
    1,
    ctx.counts.user_folders_cache,
  );
}

async function documents(ctx: Ctx): Promise<void> {
  const { sql } = ctx;
  // Rows n % 4 = 0 predate paths and types; a few predate file sizes.
  const old = 'n % 4 = 0';
  const ext = sql.pick('n', [`'.pdf'`, `'.epub'`, `'.pdf'`, `'.jpg'`, `'.png'`, `''`]);
  const type = sql.pick('n', [`'PDF'`, `'EPUB'`, `'PDF'`, `'JPEG'`, `'PNG'`, `'Unknown'`]);
  const name = `'Document ' || n || ${ext}`;
  const folder = sql.pick('n', [`'Books'`, `'Papers/2025'`, `'Inbox'`]);
  await insert(
    ctx,
    'documents',
    {
      id: sql.uuid(5, 'n'),
      user_id: ownerId(ctx),
      document_name: name,
      local_path: sql.nullIf(old, `${folder} || '/' || ${name}`),
      remote_path: sql.nullIf(old, `'/' || ${folder}`),
      document_type: sql.nullIf(old, type),
      file_size: sql.nullIf('n % 40 = 0', `10000 + (${sql.hash('n', 70)}) % 50000000`),
      status: sql.pick('n', [`'uploaded'`, `'uploaded'`, `'sent'`]),
      upload_date: timeBack(ctx, 71, 365),
    },
    1,
    ctx.counts.documents,
  );
}

async function settings(ctx: Ctx): Promise<void> {
  const { sql, trx } = ctx;
  const at = sql.dialect === 'sqlite' ? goSqliteTime(new Date(ctx.base * 1000), 120) : new Date(ctx.base * 1000).toISOString();
  const admin = await trx.raw(`SELECT ${sql.uuid(USER_SALT, '1')} AS id`);
  const adminId = (sql.dialect === 'postgres' ? (admin as { rows: { id: string }[] }).rows : (admin as { id: string }[]))[0].id;
  // Aviary's defaults; NULLs where a later release added the column to settings already present.
  const rows: [string, string | null, string | null][] = [
    ['smtp_enabled', 'false', 'Whether SMTP is configured for password resets'],
    ['smtp_host', null, 'SMTP server hostname'],
    ['smtp_port', '587', 'SMTP server port'],
    ['smtp_username', '', 'SMTP username'],
    ['smtp_password', '', 'SMTP password'],
    ['smtp_from', '', null],
    ['smtp_tls', 'true', null],
    ['registration_enabled', 'false', 'Whether new user registration is enabled'],
    ['max_api_keys_per_user', '10', 'Maximum API keys per user'],
    ['password_reset_timeout_hours', '24', 'Password reset token timeout in hours'],
  ];
  await trx('system_settings').insert(
    rows.map(([key, value, description]) => ({
      key,
      value,
      description,
      updated_at: at,
      updated_by: key === 'registration_enabled' ? adminId : null,
    })),
  );
}

async function loginAttempts(ctx: Ctx): Promise<void> {
  const { sql } = ctx;
  await insert(
    ctx,
    'login_attempts',
    {
      id: sql.uuid(7, 'n'),
      ip_address: `'10.' || (n % 256) || '.' || ((${sql.hash('n', 80)}) % 256) || '.' || ((${sql.hash('n', 81)}) % 256)`,
      username: `(CASE WHEN n % 50 = 0 THEN NULL WHEN n % 5 = 0 THEN 'admin' ELSE 'user' || (1 + (${sql.hash('n', 82)}) % ${ctx.counts.users}) END)`,
      success: sql.bool('n % 4 <> 0'),
      attempted_at: timeBack(ctx, 83, 90),
      user_agent: sql.nullIf('n % 4 = 0', sql.pick('n', AGENTS)),
    },
    1,
    ctx.counts.login_attempts,
  );
}
