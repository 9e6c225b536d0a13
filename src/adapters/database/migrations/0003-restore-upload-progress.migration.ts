import { Migration } from '@mikro-orm/migrations';

/**
 * Analysis progress of restore uploads (reported by extraction-status while it runs), the reason
 * a run failed, its times and a heartbeat that tells a live run from one whose process died.
 * Times are epoch milliseconds, as in 0002.
 */
export class RestoreUploadProgressMigration extends Migration {
  up(): void {
    const table = '"aviary_restore_uploads"';
    this.addSql(`alter table ${table} add column "progress" integer not null default 0`);
    this.addSql(`alter table ${table} add column "status_message" text null`);
    this.addSql(`alter table ${table} add column "error_message" text null`);
    this.addSql(`alter table ${table} add column "analysis_started_at" bigint null`);
    this.addSql(`alter table ${table} add column "analysis_completed_at" bigint null`);
    this.addSql(`alter table ${table} add column "heartbeat_at" bigint null`);
    this.addSql(`create index if not exists "ix_aviary_restore_uploads_admin" on ${table} ("admin_user_id", "created_at")`);
    this.addSql(`create index if not exists "ix_aviary_restore_uploads_expires" on ${table} ("expires_at")`);
  }
}
