import { dirname, resolve } from 'node:path';
import { knex, type Knex } from '@mikro-orm/knex';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { UnavailableError } from '../../domain/errors';
import type { Engine } from './engine';
import { createPrivateFileIfMissing, mkdirPrivate } from '../system/private-files';

export interface SqliteOptions {
  /** The database file; its directory is created when missing. */
  readonly path: string;
}

const BUSY_TIMEOUT_MS = 10_000;
const READERS = 4;

type RawConnection = { exec(sql: string, done: (error: Error | null) => void): void };
type AfterCreate = (conn: RawConnection, done: (error: Error | null, conn: RawConnection) => void) => void;

/** Pragmas are per connection, so they are set whenever the pool opens one. */
function withPragmas(pragmas: string[]): AfterCreate {
  return (conn, done) => conn.exec(pragmas.map((p) => `pragma ${p};`).join(' '), (error) => done(error, conn));
}

const WRITER = [`busy_timeout = ${BUSY_TIMEOUT_MS}`, 'journal_mode = WAL', 'foreign_keys = on', 'synchronous = normal'];
const READER = [`busy_timeout = ${BUSY_TIMEOUT_MS}`, 'query_only = on'];

/**
 * SQLite: MikroORM's single write connection, plus a small pool of query-only connections for
 * snapshots. WAL lets those read a fixed snapshot while the writer keeps committing, so a long
 * backup never blocks job progress updates.
 */
export function sqliteEngine(options: SqliteOptions): Engine {
  const file = resolve(options.path);
  let readers: Knex | undefined;
  const openReaders = () =>
    (readers ??= knex({
      client: 'sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      compileSqlOnError: false,
      pool: { min: 0, max: READERS, afterCreate: withPragmas(READER) },
    }));
  return {
    kind: 'sqlite',
    dialect: 'sqlite',
    target: `SQLite file ${file}`,
    hint: 'Check DB_PATH and that its directory exists or can be created and is writable.',
    ormOptions: () => ({
      driver: SqliteDriver,
      dbName: file,
      // knex would otherwise write bound values (hashes, tokens) into every query error.
      driverOptions: { compileSqlOnError: false, pool: { min: 1, max: 1, afterCreate: withPragmas(WRITER) } },
    }),
    async prepare() {
      try {
        await mkdirPrivate(dirname(file));
        // Created here with 0600 rather than by the driver with the umask's mode: SQLite gives its
        // -wal and -shm files the database file's mode, and all three hold password hashes.
        await createPrivateFileIfMissing(file);
      } catch (error) {
        throw new UnavailableError(
          'database_unavailable',
          `Cannot create SQLite file ${file} or its directory: ${(error as Error).message}. Check DB_PATH and permissions.`,
        );
      }
    },
    snapshot: (_main, work) =>
      openReaders().transaction(async (trx) => {
        // A deferred transaction takes its snapshot at the first read: take it now, before `work`.
        await trx.raw('select count(*) from sqlite_master');
        return work(trx);
      }),
    exclusive: (_main, work) => work(), // one write connection already serialises this process
    async close() {
      const pool = readers;
      readers = undefined;
      await pool?.destroy();
    },
  };
}
