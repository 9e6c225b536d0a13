import type { Options } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';

/**
 * SQL flavour the DDL, the value encoding and a few queries depend on. `mysql` is the MySQL family
 * (MariaDB, MySQL): its engine must open every connection with `ANSI_QUOTES` in `sql_mode` (the
 * shared SQL quotes identifiers with `"`), `time_zone = '+00:00'`, and hand DATETIME back as text.
 */
export type Dialect = 'sqlite' | 'postgres' | 'mysql';

/**
 * The engine-specific part of the MikroORM database: how to connect, how to read one consistent
 * snapshot, and how to keep two processes from migrating at once. Everything else is shared.
 */
export interface Engine {
  readonly kind: string;
  readonly dialect: Dialect;
  /** Where the data lives, for error messages ("PostgreSQL at db:5432 …", "SQLite file …"). */
  readonly target: string;
  /** What an operator should check when the database cannot be reached. */
  readonly hint: string;
  ormOptions(): Options;
  /** Runs before the first connection (e.g. creates the SQLite file's directory). */
  prepare(): Promise<void>;
  /** Runs `work` in a read-only transaction that sees one snapshot, taken before `work` starts. */
  snapshot<T>(main: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  /** Serialises migrations across processes sharing the database. */
  exclusive<T>(main: Knex, work: () => Promise<T>): Promise<T>;
  /** Closes connections the engine opened itself (the ORM's own are closed by the ORM). */
  close(): Promise<void>;
}
