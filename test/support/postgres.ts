/**
 * PostgreSQL for tests: a fresh database per suite on the local server (TEST_PG_* or DB_* style
 * settings, defaults 127.0.0.1:5432 user postgres). Without a server, suites are skipped loudly —
 * except under CI=true, where a missing PostgreSQL is a failure.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function pgConnection(): PgConnection {
  return {
    host: process.env.TEST_PG_HOST ?? '127.0.0.1',
    port: Number(process.env.TEST_PG_PORT ?? 5432),
    user: process.env.TEST_PG_USER ?? 'postgres',
    password: process.env.TEST_PG_PASSWORD ?? '',
  };
}

let availability: Promise<string | null> | undefined;

/** null when reachable, else the reason. */
export function postgresProblem(): Promise<string | null> {
  availability ??= (async () => {
    const client = new Client({ ...pgConnection(), database: 'postgres', connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return availability;
}

/**
 * Call at the top of a PostgreSQL suite's `before`: skips the suite when PostgreSQL is missing
 * outside CI, fails it under CI=true.
 */
export async function requirePostgres(ctx: Mocha.Context): Promise<void> {
  const problem = await postgresProblem();
  if (!problem) return;
  if (process.env.CI === 'true') throw new Error(`CI=true and PostgreSQL is not reachable: ${problem}`);
  console.warn(`\n  !!! PostgreSQL not reachable (${problem}): skipping PostgreSQL suites. CI would fail here.\n`);
  ctx.skip();
}

/** Creates an empty database and returns its name and a function that drops it. */
export async function createTestDatabase(): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `aviary_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ ...pgConnection(), database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    drop: async () => {
      const c = new Client({ ...pgConnection(), database: 'postgres' });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
