import { Migration } from '@mikro-orm/migrations';
import type { Dialect } from '../engine';
import { dialectOf } from './dialect-of';

const EXISTING_TABLES: Record<Dialect, string> = {
  sqlite: `select name from sqlite_master where type = 'table'`,
  postgres: `select table_name as name from information_schema.tables where table_schema = current_schema()`,
  mysql: `select table_name as name from information_schema.tables where table_schema = database()`,
};

/**
 * The seven Aviary tables, each created with its indexes only where it is missing. A table that
 * exists was created by Aviary (GORM) and stays exactly as Aviary made it: adding an index there
 * changes Aviary's schema and, for a unique one Aviary never enforced, can fail on its data.
 *
 * The statements are the Aviary 1.8.1 schema as this migration first shipped it, written out as
 * data. They are frozen: the live schema (src/domain/schema) may change, this file may not; a later
 * schema change is a new migration. test/fixtures/migrations/ holds the SQL every migration renders,
 * and a test compares them.
 */
export class AviarySchemaMigration extends Migration {
  async up(): Promise<void> {
    const dialect = dialectOf(this.driver);
    const existing = new Set((await this.execute(EXISTING_TABLES[dialect])).map((row) => String(row.name)));
    for (const table of AVIARY_1_8_1_TABLES) {
      if (existing.has(table.name)) continue;
      for (const statement of table[dialect]) this.addSql(statement);
    }
  }
}

interface FrozenTable {
  readonly name: string;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
  readonly mysql: readonly string[];
}

/** In creation order: every table after `users` references it. */
const AVIARY_1_8_1_TABLES: readonly FrozenTable[] = [
  {
    name: 'users',
    sqlite: [
      `create table if not exists "users" (
  "id" text not null primary key,
  "username" varchar(255) not null,
  "email" varchar(255) not null,
  "password" text not null,
  "is_admin" integer not null default 0,
  "is_active" integer not null default 1,
  "rmapi_host" text not null default '',
  "default_rmdir" text not null default '/',
  "folder_refresh_percent" integer not null default 0,
  "coverpage_setting" text not null default '',
  "contrast_setting" text not null default 'none',
  "conflict_resolution" text not null default 'abort',
  "folder_depth_limit" integer not null default 0,
  "folder_exclusion_list" text not null default '',
  "page_resolution" text not null default '',
  "page_dpi" double precision not null default 0,
  "conversion_output_format" text not null default 'epub',
  "rmapi_config" text not null default '',
  "pdf_background_removal" integer,
  "experimental_download_link" integer,
  "reset_token" text not null default '',
  "reset_token_expires" text,
  "oidc_subject" varchar(255),
  "created_at" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "updated_at" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "last_login" text
)`,
      'create unique index if not exists "idx_users_username" on "users" ("username")',
      'create unique index if not exists "idx_users_email" on "users" ("email")',
      'create index if not exists "idx_users_reset_token" on "users" ("reset_token")',
      'create unique index if not exists "idx_users_oidc_subject" on "users" ("oidc_subject")',
    ],
    postgres: [
      `create table if not exists "users" (
  "id" uuid not null primary key,
  "username" varchar(255) not null,
  "email" varchar(255) not null,
  "password" text not null,
  "is_admin" boolean not null default false,
  "is_active" boolean not null default true,
  "rmapi_host" text not null default '',
  "default_rmdir" text not null default '/',
  "folder_refresh_percent" integer not null default 0,
  "coverpage_setting" text not null default '',
  "contrast_setting" text not null default 'none',
  "conflict_resolution" text not null default 'abort',
  "folder_depth_limit" integer not null default 0,
  "folder_exclusion_list" text not null default '',
  "page_resolution" text not null default '',
  "page_dpi" double precision not null default 0,
  "conversion_output_format" text not null default 'epub',
  "rmapi_config" text not null default '',
  "pdf_background_removal" boolean,
  "experimental_download_link" boolean,
  "reset_token" text not null default '',
  "reset_token_expires" timestamptz(6),
  "oidc_subject" varchar(255),
  "created_at" timestamptz(6) not null default current_timestamp,
  "updated_at" timestamptz(6) not null default current_timestamp,
  "last_login" timestamptz(6)
)`,
      'create unique index if not exists "idx_users_username" on "users" ("username")',
      'create unique index if not exists "idx_users_email" on "users" ("email")',
      'create index if not exists "idx_users_reset_token" on "users" ("reset_token")',
      'create unique index if not exists "idx_users_oidc_subject" on "users" ("oidc_subject")',
    ],
    mysql: [
      `create table if not exists "users" (
  "id" char(36) not null primary key,
  "username" varchar(255) not null,
  "email" varchar(255) not null,
  "password" longtext not null,
  "is_admin" tinyint(1) not null default 0,
  "is_active" tinyint(1) not null default 1,
  "rmapi_host" longtext not null default '',
  "default_rmdir" longtext not null default '/',
  "folder_refresh_percent" integer not null default 0,
  "coverpage_setting" longtext not null default '',
  "contrast_setting" longtext not null default 'none',
  "conflict_resolution" longtext not null default 'abort',
  "folder_depth_limit" integer not null default 0,
  "folder_exclusion_list" longtext not null default '',
  "page_resolution" longtext not null default '',
  "page_dpi" double not null default 0,
  "conversion_output_format" longtext not null default 'epub',
  "rmapi_config" longtext not null default '',
  "pdf_background_removal" tinyint(1),
  "experimental_download_link" tinyint(1),
  "reset_token" longtext not null default '',
  "reset_token_expires" datetime(6),
  "oidc_subject" varchar(255),
  "created_at" datetime(6) not null default current_timestamp(6),
  "updated_at" datetime(6) not null default current_timestamp(6),
  "last_login" datetime(6)
) default character set utf8mb4 collate utf8mb4_bin`,
      `create unique index if not exists "idx_users_username" on "users" ("username")`,
      `create unique index if not exists "idx_users_email" on "users" ("email")`,
      `create index if not exists "idx_users_reset_token" on "users" ("reset_token"(255))`,
      `create unique index if not exists "idx_users_oidc_subject" on "users" ("oidc_subject")`,
    ],
  },
  {
    name: 'api_keys',
    sqlite: [
      `create table if not exists "api_keys" (
  "id" text not null primary key,
  "user_id" text not null,
  "name" text not null default '',
  "key_hash" text not null,
  "key_prefix" varchar(16) not null,
  "is_active" integer not null default 1,
  "last_used" text,
  "expires_at" text,
  "created_at" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  constraint "fk_api_keys_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_api_keys_user_id" on "api_keys" ("user_id")',
      'create index if not exists "idx_api_keys_key_hash" on "api_keys" ("key_hash")',
    ],
    postgres: [
      `create table if not exists "api_keys" (
  "id" uuid not null primary key,
  "user_id" uuid not null,
  "name" text not null default '',
  "key_hash" text not null,
  "key_prefix" varchar(16) not null,
  "is_active" boolean not null default true,
  "last_used" timestamptz(6),
  "expires_at" timestamptz(6),
  "created_at" timestamptz(6) not null default current_timestamp,
  constraint "fk_api_keys_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_api_keys_user_id" on "api_keys" ("user_id")',
      'create index if not exists "idx_api_keys_key_hash" on "api_keys" ("key_hash")',
    ],
    mysql: [
      `create table if not exists "api_keys" (
  "id" char(36) not null primary key,
  "user_id" char(36) not null,
  "name" longtext not null default '',
  "key_hash" longtext not null,
  "key_prefix" varchar(16) not null,
  "is_active" tinyint(1) not null default 1,
  "last_used" datetime(6),
  "expires_at" datetime(6),
  "created_at" datetime(6) not null default current_timestamp(6),
  constraint "fk_api_keys_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
) default character set utf8mb4 collate utf8mb4_bin`,
      `create index if not exists "idx_api_keys_user_id" on "api_keys" ("user_id")`,
      `create index if not exists "idx_api_keys_key_hash" on "api_keys" ("key_hash"(255))`,
    ],
  },
  {
    name: 'user_sessions',
    sqlite: [
      `create table if not exists "user_sessions" (
  "id" text not null primary key,
  "user_id" text not null,
  "token_hash" text not null,
  "expires_at" text not null,
  "created_at" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "last_used" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "user_agent" text not null default '',
  "ip_address" varchar(45) not null default '',
  constraint "fk_user_sessions_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_user_sessions_user_id" on "user_sessions" ("user_id")',
      'create index if not exists "idx_user_sessions_token_hash" on "user_sessions" ("token_hash")',
    ],
    postgres: [
      `create table if not exists "user_sessions" (
  "id" uuid not null primary key,
  "user_id" uuid not null,
  "token_hash" text not null,
  "expires_at" timestamptz(6) not null,
  "created_at" timestamptz(6) not null default current_timestamp,
  "last_used" timestamptz(6) not null default current_timestamp,
  "user_agent" text not null default '',
  "ip_address" varchar(45) not null default '',
  constraint "fk_user_sessions_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_user_sessions_user_id" on "user_sessions" ("user_id")',
      'create index if not exists "idx_user_sessions_token_hash" on "user_sessions" ("token_hash")',
    ],
    mysql: [
      `create table if not exists "user_sessions" (
  "id" char(36) not null primary key,
  "user_id" char(36) not null,
  "token_hash" longtext not null,
  "expires_at" datetime(6) not null,
  "created_at" datetime(6) not null default current_timestamp(6),
  "last_used" datetime(6) not null default current_timestamp(6),
  "user_agent" longtext not null default '',
  "ip_address" varchar(45) not null default '',
  constraint "fk_user_sessions_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
) default character set utf8mb4 collate utf8mb4_bin`,
      `create index if not exists "idx_user_sessions_user_id" on "user_sessions" ("user_id")`,
      `create index if not exists "idx_user_sessions_token_hash" on "user_sessions" ("token_hash"(255))`,
    ],
  },
  {
    name: 'user_folders_cache',
    sqlite: [
      `create table if not exists "user_folders_cache" (
  "id" text not null primary key,
  "user_id" text not null,
  "folder_path" varchar(1000) not null,
  "folder_data" text not null default '',
  "last_updated" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  constraint "fk_user_folders_cache_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_user_folders_cache_user_id" on "user_folders_cache" ("user_id")',
      'create unique index if not exists "idx_user_folders_cache_user_id_folder_path" on "user_folders_cache" ("user_id", "folder_path")',
    ],
    postgres: [
      `create table if not exists "user_folders_cache" (
  "id" uuid not null primary key,
  "user_id" uuid not null,
  "folder_path" varchar(1000) not null,
  "folder_data" text not null default '',
  "last_updated" timestamptz(6) not null default current_timestamp,
  constraint "fk_user_folders_cache_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_user_folders_cache_user_id" on "user_folders_cache" ("user_id")',
      'create unique index if not exists "idx_user_folders_cache_user_id_folder_path" on "user_folders_cache" ("user_id", "folder_path")',
    ],
    mysql: [
      `create table if not exists "user_folders_cache" (
  "id" char(36) not null primary key,
  "user_id" char(36) not null,
  "folder_path" varchar(1000) not null,
  "folder_data" longtext not null default '',
  "last_updated" datetime(6) not null default current_timestamp(6),
  constraint "fk_user_folders_cache_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
) default character set utf8mb4 collate utf8mb4_bin`,
      `create index if not exists "idx_user_folders_cache_user_id" on "user_folders_cache" ("user_id")`,
      `create unique index if not exists "idx_user_folders_cache_user_id_folder_path" on "user_folders_cache" ("user_id", "folder_path")`,
    ],
  },
  {
    name: 'documents',
    sqlite: [
      `create table if not exists "documents" (
  "id" text not null primary key,
  "user_id" text not null,
  "document_name" text not null,
  "local_path" varchar(1000) not null default '',
  "remote_path" text not null default '',
  "document_type" varchar(50) not null default '',
  "file_size" bigint not null default 0,
  "status" varchar(50) not null default 'uploaded',
  "upload_date" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  constraint "fk_documents_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_documents_user_id" on "documents" ("user_id")',
    ],
    postgres: [
      `create table if not exists "documents" (
  "id" uuid not null primary key,
  "user_id" uuid not null,
  "document_name" text not null,
  "local_path" varchar(1000) not null default '',
  "remote_path" text not null default '',
  "document_type" varchar(50) not null default '',
  "file_size" bigint not null default 0,
  "status" varchar(50) not null default 'uploaded',
  "upload_date" timestamptz(6) not null default current_timestamp,
  constraint "fk_documents_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
)`,
      'create index if not exists "idx_documents_user_id" on "documents" ("user_id")',
    ],
    mysql: [
      `create table if not exists "documents" (
  "id" char(36) not null primary key,
  "user_id" char(36) not null,
  "document_name" longtext not null,
  "local_path" varchar(1000) not null default '',
  "remote_path" longtext not null default '',
  "document_type" varchar(50) not null default '',
  "file_size" bigint not null default 0,
  "status" varchar(50) not null default 'uploaded',
  "upload_date" datetime(6) not null default current_timestamp(6),
  constraint "fk_documents_user_id" foreign key ("user_id") references "users" ("id") on delete cascade
) default character set utf8mb4 collate utf8mb4_bin`,
      `create index if not exists "idx_documents_user_id" on "documents" ("user_id")`,
    ],
  },
  {
    name: 'system_settings',
    sqlite: [
      `create table if not exists "system_settings" (
  "key" varchar(255) not null primary key,
  "value" text not null default '',
  "description" text not null default '',
  "updated_at" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "updated_by" text,
  constraint "fk_system_settings_updated_by" foreign key ("updated_by") references "users" ("id")
)`,
    ],
    postgres: [
      `create table if not exists "system_settings" (
  "key" varchar(255) not null primary key,
  "value" text not null default '',
  "description" text not null default '',
  "updated_at" timestamptz(6) not null default current_timestamp,
  "updated_by" uuid,
  constraint "fk_system_settings_updated_by" foreign key ("updated_by") references "users" ("id")
)`,
    ],
    mysql: [
      `create table if not exists "system_settings" (
  "key" varchar(255) not null primary key,
  "value" longtext not null default '',
  "description" longtext not null default '',
  "updated_at" datetime(6) not null default current_timestamp(6),
  "updated_by" char(36),
  constraint "fk_system_settings_updated_by" foreign key ("updated_by") references "users" ("id")
) default character set utf8mb4 collate utf8mb4_bin`,
    ],
  },
  {
    name: 'login_attempts',
    sqlite: [
      `create table if not exists "login_attempts" (
  "id" text not null primary key,
  "ip_address" varchar(45) not null,
  "username" text not null default '',
  "success" integer not null default 0,
  "attempted_at" text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "user_agent" text not null default ''
)`,
      'create index if not exists "idx_login_attempts_ip_address" on "login_attempts" ("ip_address")',
      'create index if not exists "idx_login_attempts_username" on "login_attempts" ("username")',
      'create index if not exists "idx_login_attempts_attempted_at" on "login_attempts" ("attempted_at")',
    ],
    postgres: [
      `create table if not exists "login_attempts" (
  "id" uuid not null primary key,
  "ip_address" varchar(45) not null,
  "username" text not null default '',
  "success" boolean not null default false,
  "attempted_at" timestamptz(6) not null default current_timestamp,
  "user_agent" text not null default ''
)`,
      'create index if not exists "idx_login_attempts_ip_address" on "login_attempts" ("ip_address")',
      'create index if not exists "idx_login_attempts_username" on "login_attempts" ("username")',
      'create index if not exists "idx_login_attempts_attempted_at" on "login_attempts" ("attempted_at")',
    ],
    mysql: [
      `create table if not exists "login_attempts" (
  "id" char(36) not null primary key,
  "ip_address" varchar(45) not null,
  "username" longtext not null default '',
  "success" tinyint(1) not null default 0,
  "attempted_at" datetime(6) not null default current_timestamp(6),
  "user_agent" longtext not null default ''
) default character set utf8mb4 collate utf8mb4_bin`,
      `create index if not exists "idx_login_attempts_ip_address" on "login_attempts" ("ip_address")`,
      `create index if not exists "idx_login_attempts_username" on "login_attempts" ("username"(255))`,
      `create index if not exists "idx_login_attempts_attempted_at" on "login_attempts" ("attempted_at")`,
    ],
  },
];
