import type { ConnectionOptions } from 'node:tls';
import type { Knex } from '@mikro-orm/knex';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Engine } from './engine';
import { SSL_MODES, type SslMode } from './postgres-ssl';

export { SSL_MODES, type SslMode };

export interface PostgresOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dbName: string;
  readonly sslmode: SslMode;
}

/** Arbitrary but fixed key of the session advisory lock held while migrating. */
const MIGRATION_LOCK_KEY = 0x41564259;

/**
 * libpq's sslmode for node-postgres. node-postgres cannot fall back between TLS and plain text,
 * so `allow` and `prefer` connect without TLS (their usual outcome on a server without TLS).
 */
export function sslOption(mode: SslMode): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/**
 * Type parsing for this service's connections only (pg's global parsers stay untouched, since a
 * host application may rely on them): times and int8 arrive as text (no loss to JS Date or
 * doubles), booleans and small numbers as JS values. The codec does the rest.
 */
class ServiceTypeParsers {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (format === 'binary') return (value) => value;
    switch (oid) {
      case 16: // bool
        return (value) => value === 't';
      case 21: // int2
      case 23: // int4
      case 700: // float4
      case 701: // float8
        return Number;
      default: // int8, timestamptz, timestamp, uuid, text, …
        return (value) => value;
    }
  }
}

export function postgresEngine(options: PostgresOptions): Engine {
  const { host, port, user, password, dbName, sslmode } = options;
  return {
    kind: 'postgres',
    dialect: 'postgres',
    target: `PostgreSQL at ${host}:${port}, database "${dbName}", user "${user}"`,
    hint: 'Check DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME and DB_SSLMODE, and that the server is running.',
    ormOptions: () => ({
      driver: PostgreSqlDriver,
      host,
      port,
      user,
      password,
      dbName,
      pool: { min: 0, max: 10 },
      driverOptions: {
        // knex would otherwise write bound values (hashes, tokens) into every query error.
        compileSqlOnError: false,
        connection: {
          ssl: sslOption(sslmode),
          types: new ServiceTypeParsers(),
          options: '-c TimeZone=UTC',
          connectionTimeoutMillis: 10_000,
          application_name: 'aviary-backup',
        },
      },
    }),
    prepare: async () => undefined,
    snapshot: (main, work) =>
      main.transaction(
        async (trx) => {
          // REPEATABLE READ takes its snapshot at the first statement: take it now, before `work`.
          await trx.raw('select 1');
          return work(trx);
        },
        { isolationLevel: 'repeatable read', readOnly: true },
      ),
    exclusive: (main, work) => withAdvisoryLock(main, work),
    close: async () => undefined,
  };
}

/** Holds a session lock on one pooled connection while `work` runs on others. */
async function withAdvisoryLock<T>(main: Knex, work: () => Promise<T>): Promise<T> {
  type Conn = { query(sql: string, values: unknown[]): Promise<unknown> };
  const conn = (await main.client.acquireConnection()) as Conn;
  try {
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await main.client.releaseConnection(conn);
  }
}
