import { knex, type Knex } from '@mikro-orm/knex';
import type { GormDialect } from './gorm-schema';

/** Where an Aviary database lives: a SQLite file or a PostgreSQL database. */
export type AviaryDbTarget =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      readonly password: string;
      readonly database: string;
    };

export function dialectOf(target: AviaryDbTarget): GormDialect {
  return target.kind;
}

export function describeTarget(target: AviaryDbTarget): string {
  return target.kind === 'sqlite' ? `SQLite ${target.path}` : `PostgreSQL ${target.host}:${target.port}/${target.database}`;
}

/**
 * A plain knex on the database, outside the service. On PostgreSQL every value arrives as the
 * server's text (no Date or float conversion) in UTC, so nothing is rounded on the way in.
 */
export function openKnex(target: AviaryDbTarget): Knex {
  if (target.kind === 'sqlite') {
    return knex({ client: 'sqlite3', connection: { filename: target.path }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  }
  return knex({
    client: 'pg',
    connection: {
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      options: '-c TimeZone=UTC',
      types: { getTypeParser: () => (value: string) => value },
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: 2 },
  });
}

/**
 * `sqlite:PATH`, or `postgres:NAME` / `postgres://user:pass@host:port/NAME`; a bare database name
 * takes host, port, user and password from DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (defaults
 * 127.0.0.1, 5432, postgres, empty).
 */
export function parseTarget(text: string, env: NodeJS.ProcessEnv = process.env): AviaryDbTarget {
  if (text.startsWith('sqlite:')) return { kind: 'sqlite', path: text.slice('sqlite:'.length) };
  if (text.startsWith('postgres://') || text.startsWith('postgresql://')) {
    const url = new URL(text);
    return {
      kind: 'postgres',
      host: url.hostname || '127.0.0.1',
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      database: url.pathname.replace(/^\//, ''),
    };
  }
  if (text.startsWith('postgres:')) return postgresTarget(text.slice('postgres:'.length), env);
  throw new Error(`not a database: ${JSON.stringify(text)} (use sqlite:PATH or postgres:NAME)`);
}

export function postgresTarget(database: string, env: NodeJS.ProcessEnv = process.env): AviaryDbTarget {
  return {
    kind: 'postgres',
    host: env.DB_HOST ?? '127.0.0.1',
    port: Number(env.DB_PORT ?? 5432),
    user: env.DB_USER ?? 'postgres',
    password: env.DB_PASSWORD ?? '',
    database,
  };
}
