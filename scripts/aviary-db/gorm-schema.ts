/**
 * The tables Aviary's GORM models create, described field by field from the models' Go types and
 * `gorm:"…"` tags (Aviary's internal/database/models.go), and rendered into the DDL GORM's
 * AutoMigrate emits on SQLite and PostgreSQL. Tests and the seed script build "a database Aviary
 * created" from this, so the service is proven against Aviary's column types, not its own.
 *
 * GORM facts the rendering follows (its sqlite and postgres dialects and its migrator):
 * - SQLite: backtick identifiers; bool → numeric, int/int64 → integer, float64 → real,
 *   string → text (sizes ignored), time.Time → datetime; a `type:` tag is used verbatim (`uuid`).
 * - PostgreSQL: double-quoted identifiers; bool → boolean, int/int64 → bigint, float64 → decimal,
 *   string → text, or varchar(n) with `size:n`; time.Time → timestamptz.
 * - Column: type, then NOT NULL, then DEFAULT (string defaults quoted with the dialect's
 *   escaper: "x" on SQLite, 'x' on PostgreSQL); primary key as a table constraint.
 * - Indexes after the table: idx_<table>_<column>, CREATE UNIQUE INDEX for uniqueIndex.
 * - Foreign keys inside CREATE TABLE, named fk_<owner table>_<relation field in snake case>.
 */

export type GormDialect = 'sqlite' | 'postgres';

/** Go field types that occur in Aviary's models (`*` = pointer: NULL is a real value). */
export type GoType = 'uuid' | '*uuid' | 'string' | '*string' | 'bool' | '*bool' | 'int' | 'int64' | 'float64' | 'time' | '*time';

export interface GormTag {
  readonly type?: string;
  readonly size?: number;
  readonly notNull?: boolean;
  readonly primaryKey?: boolean;
  /** The tag's default, as written in the tag (`default:abort` → 'abort'). */
  readonly default?: string;
  readonly index?: boolean;
  readonly uniqueIndex?: boolean;
}

export interface GoField {
  readonly column: string;
  readonly go: GoType;
  readonly tag?: GormTag;
}

export interface GormForeignKey {
  readonly name: string;
  readonly column: string;
  readonly references: string;
  readonly onDelete?: 'CASCADE';
}

export interface GormModel {
  readonly table: string;
  readonly fields: readonly GoField[];
  readonly foreignKeys: readonly GormForeignKey[];
}

const f = (column: string, go: GoType, tag?: GormTag): GoField => ({ column, go, tag });
const id = f('id', 'uuid', { type: 'uuid', primaryKey: true });
const userIdNotNull = f('user_id', 'uuid', { type: 'uuid', notNull: true, index: true });
const cascadeFrom = (relation: string): GormForeignKey => ({
  name: `fk_users_${relation}`,
  column: 'user_id',
  references: 'users',
  onDelete: 'CASCADE',
});

/** Users as Aviary's model declares them today (field order = column order of a fresh install). */
const USER_FIELDS: readonly GoField[] = [
  id,
  f('username', 'string', { uniqueIndex: true, notNull: true }),
  f('email', 'string', { uniqueIndex: true, notNull: true }),
  f('password', 'string', { notNull: true }),
  f('is_admin', 'bool', { default: 'false' }),
  f('is_active', 'bool', { default: 'true' }),
  f('rmapi_host', 'string'),
  f('default_rmdir', 'string', { default: '/' }),
  f('folder_refresh_percent', 'int', { default: '0' }),
  f('coverpage_setting', 'string'),
  // contrast_setting and experimental_download_link come from releases newer than the model
  // versions on record; declared as this service's schema knows them (text default none, *bool).
  f('contrast_setting', 'string', { default: 'none' }),
  f('conflict_resolution', 'string', { default: 'abort' }),
  f('folder_depth_limit', 'int', { default: '0' }),
  f('folder_exclusion_list', 'string'),
  f('page_resolution', 'string'),
  f('page_dpi', 'float64'),
  f('conversion_output_format', 'string', { default: 'epub' }),
  f('rmapi_config', 'string', { type: 'text' }),
  f('pdf_background_removal', '*bool'),
  f('experimental_download_link', '*bool'),
  f('reset_token', 'string', { index: true }),
  f('reset_token_expires', 'time'),
  f('oidc_subject', '*string', { uniqueIndex: true }),
  f('created_at', 'time'),
  f('updated_at', 'time'),
  f('last_login', '*time'),
];

/** Columns of the first multi-user release that later models dropped; AutoMigrate never drops them. */
const USER_LEGACY_FIELDS: readonly GoField[] = [
  f('email_verified', 'bool', { default: 'false' }),
  f('verification_token', 'string'),
];

/** The users columns of that first release, in its order; the rest were appended by AutoMigrate. */
const USER_FIRST_RELEASE = [
  'id', 'username', 'email', 'password', 'is_admin', 'is_active', 'rmapi_host', 'default_rmdir',
  'reset_token', 'reset_token_expires', 'email_verified', 'verification_token', 'created_at', 'updated_at', 'last_login',
];

export const AVIARY_GORM_MODELS: readonly GormModel[] = [
  { table: 'users', fields: USER_FIELDS, foreignKeys: [] },
  {
    table: 'api_keys',
    fields: [
      id,
      userIdNotNull,
      f('name', 'string', { notNull: true }),
      f('key_hash', 'string', { notNull: true, index: true }),
      f('key_prefix', 'string', { size: 16, notNull: true }),
      f('is_active', 'bool', { default: 'true' }),
      f('last_used', '*time'),
      f('expires_at', '*time'),
      f('created_at', 'time'),
    ],
    foreignKeys: [cascadeFrom('api_keys')],
  },
  {
    table: 'user_sessions',
    fields: [
      id,
      userIdNotNull,
      f('token_hash', 'string', { notNull: true, index: true }),
      f('expires_at', 'time', { notNull: true }),
      f('created_at', 'time'),
      f('last_used', 'time', { default: 'CURRENT_TIMESTAMP' }),
      f('user_agent', 'string', { type: 'text' }),
      f('ip_address', 'string', { size: 45 }),
    ],
    foreignKeys: [cascadeFrom('sessions')],
  },
  {
    table: 'user_folders_cache',
    fields: [
      id,
      userIdNotNull,
      f('folder_path', 'string', { size: 1000, notNull: true }),
      f('folder_data', 'string', { type: 'text' }),
      f('last_updated', 'time', { default: 'CURRENT_TIMESTAMP' }),
    ],
    foreignKeys: [cascadeFrom('folders_cache')],
  },
  {
    table: 'documents',
    fields: [
      id,
      userIdNotNull,
      f('document_name', 'string', { notNull: true }),
      f('local_path', 'string', { size: 1000 }),
      f('remote_path', 'string', { size: 1000 }),
      f('document_type', 'string', { size: 50 }),
      f('file_size', 'int64'),
      f('status', 'string', { size: 50, default: 'uploaded' }),
      f('upload_date', 'time', { default: 'CURRENT_TIMESTAMP' }),
    ],
    foreignKeys: [cascadeFrom('documents')],
  },
  {
    table: 'system_settings',
    fields: [
      f('key', 'string', { primaryKey: true }),
      f('value', 'string', { type: 'text' }),
      f('description', 'string', { type: 'text' }),
      f('updated_at', 'time', { default: 'CURRENT_TIMESTAMP' }),
      f('updated_by', '*uuid', { type: 'uuid' }),
    ],
    foreignKeys: [{ name: 'fk_system_settings_updated_by_user', column: 'updated_by', references: 'users' }],
  },
  {
    table: 'login_attempts',
    fields: [
      id,
      f('ip_address', 'string', { size: 45, notNull: true, index: true }),
      f('username', 'string', { index: true }),
      f('success', 'bool', { default: 'false' }),
      f('attempted_at', 'time', { default: 'CURRENT_TIMESTAMP', index: true }),
      f('user_agent', 'string', { type: 'text' }),
    ],
    foreignKeys: [],
  },
  // Aviary's own job tables: not exported, but present in every database Aviary created.
  {
    table: 'backup_jobs',
    fields: [
      id,
      f('admin_user_id', 'uuid', { type: 'uuid', notNull: true, index: true }),
      f('status', 'string', { size: 50, notNull: true, default: 'pending' }),
      f('progress', 'int', { default: '0' }),
      f('include_files', 'bool', { default: 'true' }),
      f('include_configs', 'bool', { default: 'true' }),
      f('user_ids', 'string', { type: 'text' }),
      f('file_path', 'string', { size: 1000 }),
      f('filename', 'string', { size: 255 }),
      f('file_size', 'int64'),
      f('error_message', 'string', { type: 'text' }),
      f('started_at', '*time'),
      f('completed_at', '*time'),
      f('expires_at', '*time'),
      f('created_at', 'time'),
    ],
    foreignKeys: [{ name: 'fk_backup_jobs_admin_user', column: 'admin_user_id', references: 'users', onDelete: 'CASCADE' }],
  },
  {
    table: 'restore_uploads',
    fields: [
      id,
      f('admin_user_id', 'uuid', { type: 'uuid', notNull: true, index: true }),
      f('filename', 'string', { size: 255, notNull: true }),
      f('file_path', 'string', { size: 1000, notNull: true }),
      f('file_size', 'int64'),
      f('status', 'string', { size: 50, notNull: true, default: 'uploaded' }),
      f('expires_at', 'time', { notNull: true }),
      f('created_at', 'time'),
    ],
    foreignKeys: [{ name: 'fk_restore_uploads_admin_user', column: 'admin_user_id', references: 'users', onDelete: 'CASCADE' }],
  },
];

/** The seven tables an archive carries (the others above are Aviary's private job tables). */
export const EXPORTED_TABLES = ['users', 'api_keys', 'user_sessions', 'user_folders_cache', 'documents', 'system_settings', 'login_attempts'] as const;

export function gormModel(table: string): GormModel {
  const model = AVIARY_GORM_MODELS.find((m) => m.table === table);
  if (!model) throw new Error(`no GORM model for table ${table}`);
  return model;
}

/**
 * `fresh`: a database created by the newest Aviary release in one go.
 * `upgraded`: one created by the first multi-user release and carried forward by AutoMigrate:
 * users keeps that release's column order and its two dropped columns, and every later column is
 * appended with ALTER TABLE … ADD (which is why older rows hold NULL there).
 */
export type GormLayout = 'fresh' | 'upgraded';

export interface GormDdl {
  /** CREATE TABLE (and, for `upgraded`, ALTER TABLE … ADD) in dependency order. */
  readonly tables: string[];
  /** CREATE [UNIQUE] INDEX statements GORM runs after each table, plus Aviary's own folder-cache index. */
  readonly indexes: string[];
}

export function gormAviaryDdl(dialect: GormDialect, layout: GormLayout = 'fresh'): GormDdl {
  const tables: string[] = [];
  const indexes: string[] = [];
  for (const model of AVIARY_GORM_MODELS) {
    if (model.table === 'users' && layout === 'upgraded') {
      const all = [...USER_FIELDS, ...USER_LEGACY_FIELDS];
      const first = USER_FIRST_RELEASE.map((name) => all.find((x) => x.column === name)!);
      tables.push(createTable(dialect, { ...model, fields: first }));
      for (const field of USER_FIELDS.filter((x) => !USER_FIRST_RELEASE.includes(x.column))) {
        tables.push(`ALTER TABLE ${quote(dialect, model.table)} ADD ${quote(dialect, field.column)} ${fullType(dialect, field)}`);
      }
    } else {
      tables.push(createTable(dialect, model));
    }
    indexes.push(...indexStatements(dialect, model));
  }
  // Aviary runs this raw statement after AutoMigrate (GORM itself creates no composite index here).
  indexes.push('CREATE UNIQUE INDEX IF NOT EXISTS idx_user_folder_path ON user_folders_cache (user_id, folder_path)');
  return { tables, indexes };
}

/** The Go type of every column a table has under `layout` (legacy users columns included). */
export function gormColumns(table: string, layout: GormLayout): readonly GoField[] {
  const model = gormModel(table);
  if (table === 'users' && layout === 'upgraded') return [...USER_FIELDS, ...USER_LEGACY_FIELDS];
  return model.fields;
}

function createTable(dialect: GormDialect, model: GormModel): string {
  const parts = model.fields.map((field) => `${quote(dialect, field.column)} ${fullType(dialect, field)}`);
  const pk = model.fields.filter((x) => x.tag?.primaryKey).map((x) => quote(dialect, x.column));
  parts.push(`PRIMARY KEY (${pk.join(',')})`);
  for (const fk of model.foreignKeys) {
    const onDelete = fk.onDelete ? ` ON DELETE ${fk.onDelete}` : '';
    parts.push(
      `CONSTRAINT ${quote(dialect, fk.name)} FOREIGN KEY (${quote(dialect, fk.column)}) ` +
        `REFERENCES ${quote(dialect, fk.references)}(${quote(dialect, 'id')})${onDelete}`,
    );
  }
  return `CREATE TABLE ${quote(dialect, model.table)} (${parts.join(',')})`;
}

function indexStatements(dialect: GormDialect, model: GormModel): string[] {
  const out: string[] = [];
  for (const field of model.fields) {
    if (!field.tag?.index && !field.tag?.uniqueIndex) continue;
    const unique = field.tag.uniqueIndex ? 'UNIQUE ' : '';
    const name = quote(dialect, `idx_${model.table}_${field.column}`);
    const ifNotExists = dialect === 'postgres' ? 'IF NOT EXISTS ' : '';
    out.push(`CREATE ${unique}INDEX ${ifNotExists}${name} ON ${quote(dialect, model.table)}(${quote(dialect, field.column)})`);
  }
  return out;
}

/** GORM's DataTypeOf for the dialect. */
export function gormDataType(dialect: GormDialect, field: GoField): string {
  if (field.tag?.type) return field.tag.type;
  const base = field.go.replace('*', '');
  switch (base) {
    case 'bool':
      return dialect === 'sqlite' ? 'numeric' : 'boolean';
    case 'int':
    case 'int64':
      return dialect === 'sqlite' ? 'integer' : 'bigint';
    case 'float64':
      return dialect === 'sqlite' ? 'real' : 'decimal';
    case 'string':
      return dialect === 'postgres' && field.tag?.size ? `varchar(${field.tag.size})` : 'text';
    case 'time':
      return dialect === 'sqlite' ? 'datetime' : 'timestamptz';
    default:
      throw new Error(`${field.column}: a ${field.go} needs a type: tag`);
  }
}

/** GORM's FullDataTypeOf: type, NOT NULL, DEFAULT. */
function fullType(dialect: GormDialect, field: GoField): string {
  let sql = gormDataType(dialect, field);
  if (field.tag?.notNull) sql += ' NOT NULL';
  const value = field.tag?.default;
  if (value !== undefined) {
    const literal = field.go.replace('*', '') === 'string' ? (dialect === 'sqlite' ? `"${value}"` : `'${value}'`) : value;
    sql += ` DEFAULT ${literal}`;
  }
  return sql;
}

export function quote(dialect: GormDialect, identifier: string): string {
  return dialect === 'sqlite' ? `\`${identifier}\`` : `"${identifier}"`;
}
