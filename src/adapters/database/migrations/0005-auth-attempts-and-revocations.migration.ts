import { Migration } from '@mikro-orm/migrations';
import { tableOptions } from '../schema-ddl';
import { dialectOf } from './dialect-of';

/**
 * Attempt counters for login and API-key limiting: one row per (scope, subject, window), counted
 * up by a single INSERT … ON CONFLICT … RETURNING, so replicas sharing the database share the
 * limit. Revoked session ids: logout deletes the `user_sessions` row and also writes the id here,
 * where a restore (which replaces `user_sessions` wholesale) cannot bring the session back.
 * Service tables: never exported. Times are epoch milliseconds.
 */
export class AuthAttemptsAndRevocationsMigration extends Migration {
  up(): void {
    const options = tableOptions(dialectOf(this.driver));
    this.addSql(`create table if not exists "aviary_auth_attempts" (
  "scope" varchar(40) not null,
  "subject" varchar(100) not null,
  "window_start" bigint not null,
  "count" integer not null default 0,
  primary key ("scope", "subject", "window_start")
)${options}`);
    this.addSql('create index if not exists "ix_aviary_auth_attempts_window" on "aviary_auth_attempts" ("window_start")');
    this.addSql(`create table if not exists "aviary_revoked_sessions" (
  "session_id" varchar(64) primary key,
  "expires_at" bigint not null
)${options}`);
    this.addSql('create index if not exists "ix_aviary_revoked_sessions_expires" on "aviary_revoked_sessions" ("expires_at")');
  }
}
