import { column as c, TableDef } from './column';

/** Aviary release whose schema and archive format this service implements. */
export const AVIARY_SCHEMA_VERSION = '1.8.1';

const userRef = { column: 'user_id', references: 'users', onDelete: 'cascade' } as const;

export const users: TableDef = {
  name: 'users',
  primaryKey: 'id',
  userColumn: 'id',
  columns: [
    c('id', 'uuid', { notNull: true }),
    c('username', 'string', { length: 255, unique: true, notNull: true }),
    c('email', 'string', { length: 255, unique: true, notNull: true }),
    c('password', 'text', { notNull: true }),
    c('is_admin', 'bool', { default: false }),
    c('is_active', 'bool', { default: true }),
    c('rmapi_host', 'text', { default: '' }),
    c('default_rmdir', 'text', { default: '/' }),
    c('folder_refresh_percent', 'int', { default: 0 }),
    c('coverpage_setting', 'text', { default: '' }),
    c('contrast_setting', 'text', { default: 'none' }),
    c('conflict_resolution', 'text', { default: 'abort' }),
    c('folder_depth_limit', 'int', { default: 0 }),
    c('folder_exclusion_list', 'text', { default: '' }),
    c('page_resolution', 'text', { default: '' }),
    c('page_dpi', 'float', { default: 0 }),
    c('conversion_output_format', 'text', { default: 'epub' }),
    c('rmapi_config', 'text', { default: '' }),
    c('pdf_background_removal', 'bool', { nullable: true, default: null }),
    c('experimental_download_link', 'bool', { nullable: true, default: null }),
    c('reset_token', 'text', { default: '', index: true }),
    c('reset_token_expires', 'time', { nullable: true, default: null }),
    c('oidc_subject', 'string', { length: 255, nullable: true, default: null, unique: true }),
    c('created_at', 'time', { default: 'now' }),
    c('updated_at', 'time', { default: 'now' }),
    c('last_login', 'time', { nullable: true, default: null }),
  ],
  foreignKeys: [],
  uniques: [],
};

export const apiKeys: TableDef = {
  name: 'api_keys',
  primaryKey: 'id',
  userColumn: 'user_id',
  columns: [
    c('id', 'uuid', { notNull: true }),
    c('user_id', 'uuid', { index: true, notNull: true }),
    c('name', 'text', { default: '', notNull: true }),
    c('key_hash', 'text', { index: true, notNull: true }),
    c('key_prefix', 'string', { length: 16, notNull: true }),
    c('is_active', 'bool', { default: true }),
    c('last_used', 'time', { nullable: true, default: null }),
    c('expires_at', 'time', { nullable: true, default: null }),
    c('created_at', 'time', { default: 'now' }),
  ],
  foreignKeys: [userRef],
  uniques: [],
};

export const userSessions: TableDef = {
  name: 'user_sessions',
  primaryKey: 'id',
  userColumn: 'user_id',
  columns: [
    c('id', 'uuid', { notNull: true }),
    c('user_id', 'uuid', { index: true, notNull: true }),
    c('token_hash', 'text', { index: true, notNull: true }),
    c('expires_at', 'time', { notNull: true }),
    c('created_at', 'time', { default: 'now' }),
    c('last_used', 'time', { default: 'now' }),
    c('user_agent', 'text', { default: '' }),
    c('ip_address', 'string', { length: 45, default: '' }),
  ],
  foreignKeys: [userRef],
  uniques: [],
};

export const userFoldersCache: TableDef = {
  name: 'user_folders_cache',
  primaryKey: 'id',
  userColumn: 'user_id',
  columns: [
    c('id', 'uuid', { notNull: true }),
    c('user_id', 'uuid', { index: true, notNull: true }),
    c('folder_path', 'string', { length: 1000, notNull: true }),
    c('folder_data', 'text', { default: '' }),
    c('last_updated', 'time', { default: 'now' }),
  ],
  foreignKeys: [userRef],
  uniques: [['user_id', 'folder_path']],
  repeatsDropped: true,
};

export const documents: TableDef = {
  name: 'documents',
  primaryKey: 'id',
  userColumn: 'user_id',
  columns: [
    c('id', 'uuid', { notNull: true }),
    c('user_id', 'uuid', { index: true, notNull: true }),
    c('document_name', 'text', { notNull: true }),
    c('local_path', 'string', { length: 1000, default: '' }),
    c('remote_path', 'text', { default: '' }),
    c('document_type', 'string', { length: 50, default: '' }),
    c('file_size', 'bigint', { default: 0 }),
    c('status', 'string', { length: 50, default: 'uploaded' }),
    c('upload_date', 'time', { default: 'now' }),
  ],
  foreignKeys: [userRef],
  uniques: [],
};

export const systemSettings: TableDef = {
  name: 'system_settings',
  primaryKey: 'key',
  columns: [
    c('key', 'string', { length: 255, notNull: true }),
    c('value', 'text', { default: '' }),
    c('description', 'text', { default: '' }),
    c('updated_at', 'time', { default: 'now' }),
    c('updated_by', 'uuid', { nullable: true, default: null }),
  ],
  foreignKeys: [{ column: 'updated_by', references: 'users', onDelete: 'no action' }],
  uniques: [],
};

export const loginAttempts: TableDef = {
  name: 'login_attempts',
  primaryKey: 'id',
  columns: [
    c('id', 'uuid', { notNull: true }),
    c('ip_address', 'string', { length: 45, index: true, notNull: true }),
    c('username', 'text', { default: '', index: true }),
    c('success', 'bool', { default: false }),
    c('attempted_at', 'time', { default: 'now', index: true }),
    c('user_agent', 'text', { default: '' }),
  ],
  foreignKeys: [],
  uniques: [],
};

/** The seven exported tables, in the order they are written and restored (parents first). */
export const AVIARY_TABLES: readonly TableDef[] = [
  users,
  apiKeys,
  userSessions,
  userFoldersCache,
  documents,
  systemSettings,
  loginAttempts,
];

export type AviaryTableName =
  | 'users'
  | 'api_keys'
  | 'user_sessions'
  | 'user_folders_cache'
  | 'documents'
  | 'system_settings'
  | 'login_attempts';

export const AVIARY_TABLE_NAMES = AVIARY_TABLES.map((t) => t.name) as readonly AviaryTableName[];

export function tableDef(name: string): TableDef | undefined {
  return AVIARY_TABLES.find((t) => t.name === name);
}

/** Settings seeded when missing, with Aviary's defaults. */
export const DEFAULT_SYSTEM_SETTINGS: readonly { key: string; value: string; description: string }[] = [
  { key: 'smtp_enabled', value: 'false', description: 'Enable SMTP for password resets' },
  { key: 'smtp_host', value: '', description: 'SMTP server host' },
  { key: 'smtp_port', value: '587', description: 'SMTP server port' },
  { key: 'smtp_username', value: '', description: 'SMTP username' },
  { key: 'smtp_password', value: '', description: 'SMTP password' },
  { key: 'smtp_from', value: '', description: 'Sender address for outgoing mail' },
  { key: 'smtp_tls', value: 'true', description: 'Use TLS for SMTP' },
  { key: 'registration_enabled', value: 'false', description: 'Allow new users to register' },
  { key: 'max_api_keys_per_user', value: '10', description: 'Maximum API keys per user' },
  { key: 'password_reset_timeout_hours', value: '24', description: 'Password reset token lifetime in hours' },
];
