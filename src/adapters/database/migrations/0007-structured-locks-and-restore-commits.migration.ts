import { Migration } from '@mikro-orm/migrations';
import { tableOptions } from '../schema-ddl';
import { dialectOf } from './dialect-of';

/**
 * Lock holders as fields: the process (host, pid, start nonce), its role and run. `holder` stays
 * and now holds a digest of these fields, so rows of an older version are told apart.
 *
 * Restore commit markers in their own table. Until now they were rows of `aviary_migration_runs`
 * with kind `commit-marker`; those are moved here, so a restore that committed just before the
 * upgrade is still recognised as committed by the recovery after it. Times are epoch milliseconds.
 */
export class StructuredLocksAndRestoreCommitsMigration extends Migration {
  up(): void {
    const dialect = dialectOf(this.driver);
    // A MySQL-family key cannot be TEXT; markers are UUIDs.
    const id = dialect === 'postgres' ? 'uuid' : dialect === 'mysql' ? 'char(36)' : 'text';
    const locks = '"aviary_service_locks"';
    this.addSql(`alter table ${locks} add column "holder_host" varchar(255) null`);
    this.addSql(`alter table ${locks} add column "holder_pid" integer null`);
    this.addSql(`alter table ${locks} add column "holder_nonce" varchar(64) null`);
    this.addSql(`alter table ${locks} add column "holder_role" varchar(50) null`);
    this.addSql(`alter table ${locks} add column "holder_run_id" varchar(100) null`);

    this.addSql(`create table if not exists "aviary_restore_commits" (
  "marker_id" ${id} primary key,
  "committed_at" bigint not null
)${tableOptions(dialect)}`);
    this.addSql(`insert into "aviary_restore_commits" ("marker_id", "committed_at")
select "id", coalesce("completed_at", "started_at") from "aviary_migration_runs" where "kind" = 'commit-marker'`);
    this.addSql(`delete from "aviary_migration_runs" where "kind" = 'commit-marker'`);
  }
}
