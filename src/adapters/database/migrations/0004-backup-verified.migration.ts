import { Migration } from '@mikro-orm/migrations';

/**
 * When a finished backup was re-read and every checksum matched (epoch milliseconds, as in 0002).
 * NULL: not verified — every backup made before this migration, and none made after it.
 */
export class BackupVerifiedMigration extends Migration {
  up(): void {
    this.addSql('alter table "aviary_backup_jobs" add column "verified_at" bigint null');
  }
}
