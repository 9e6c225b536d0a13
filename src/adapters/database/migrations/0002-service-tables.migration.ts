import { Migration } from '@mikro-orm/migrations';
import { sqlType, tableOptions } from '../schema-ddl';
import { dialectOf } from './dialect-of';

/**
 * The service's own tables. Named apart from Aviary's `backup_jobs`/`restore_uploads` (which
 * cascade from users): a restore replaces users and must never delete its own job or upload.
 * Times are epoch milliseconds (bigint): these rows never enter an archive.
 */
export class ServiceTablesMigration extends Migration {
  up(): void {
    const text = 'text';
    const dialect = dialectOf(this.driver);
    const id = sqlType({ type: 'uuid' }, dialect);
    const options = tableOptions(dialect);
    this.addSql(`create table if not exists "aviary_backup_jobs" (
  "id" ${id} primary key,
  "admin_user_id" ${id} null,
  "status" varchar(20) not null,
  "phase" varchar(20) not null default 'queued',
  "trigger" varchar(20) not null default 'manual',
  "progress" integer not null default 0,
  "bytes_done" bigint not null default 0,
  "bytes_total" bigint not null default 0,
  "options" ${text} not null,
  "storage_key" ${text} null,
  "filename" varchar(255) null,
  "file_size" bigint null,
  "error_message" ${text} null,
  "warnings" ${text} not null default '[]',
  "worker_id" varchar(200) null,
  "heartbeat_at" bigint null,
  "started_at" bigint null,
  "completed_at" bigint null,
  "expires_at" bigint null,
  "created_at" bigint not null
)${options}`);
    this.addSql('create unique index if not exists "ux_aviary_backup_jobs_filename" on "aviary_backup_jobs" ("filename")');
    this.addSql('create index if not exists "ix_aviary_backup_jobs_status" on "aviary_backup_jobs" ("status", "created_at")');

    this.addSql(`create table if not exists "aviary_restore_uploads" (
  "id" ${id} primary key,
  "admin_user_id" ${id} null,
  "filename" varchar(255) not null,
  "location" varchar(20) not null,
  "storage_ref" ${text} not null,
  "file_size" bigint not null default 0,
  "status" varchar(20) not null default 'uploaded',
  "analysis" ${text} null,
  "expires_at" bigint not null,
  "created_at" bigint not null
)${options}`);

    this.addSql(`create table if not exists "aviary_service_locks" (
  "name" varchar(100) primary key,
  "holder" varchar(200) not null,
  "purpose" ${text} not null default '',
  "acquired_at" bigint not null,
  "expires_at" bigint not null
)${options}`);

    this.addSql(`create table if not exists "aviary_migration_runs" (
  "id" ${id} primary key,
  "kind" varchar(50) not null,
  "status" varchar(20) not null,
  "admin_user_id" ${id} null,
  "report" ${text} not null default '{}',
  "started_at" bigint not null,
  "completed_at" bigint null
)${options}`);
  }
}
