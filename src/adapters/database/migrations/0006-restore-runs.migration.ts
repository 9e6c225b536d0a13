import { Migration } from '@mikro-orm/migrations';
import { tableOptions } from '../schema-ddl';
import { dialectOf } from './dialect-of';

/**
 * Asynchronous restores (`POST /api/admin/restore` with `async: true`): phase, progress, heartbeat and
 * outcome in the database, so whichever replica a poll reaches answers it, and a run whose process died
 * is seen as interrupted. The report holds counts and ids; a failure its code, category and reason.
 * Service table: never exported. Times are epoch milliseconds.
 */
export class RestoreRunsMigration extends Migration {
  up(): void {
    this.addSql(`create table if not exists "aviary_restore_runs" (
  "id" varchar(36) primary key,
  "admin_user_id" varchar(36) not null,
  "status" varchar(20) not null,
  "phase" varchar(40) not null,
  "progress" integer not null default 0,
  "error_code" varchar(100) null,
  "error_category" varchar(20) null,
  "error_message" text null,
  "report" text null,
  "started_at" bigint not null,
  "completed_at" bigint null,
  "heartbeat_at" bigint not null
)${tableOptions(dialectOf(this.driver))}`);
    this.addSql('create index if not exists "ix_aviary_restore_runs_status" on "aviary_restore_runs" ("status", "heartbeat_at")');
    this.addSql('create index if not exists "ix_aviary_restore_runs_completed" on "aviary_restore_runs" ("completed_at")');
  }
}
