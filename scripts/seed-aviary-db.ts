/**
 * Builds a database exactly as Aviary (GORM) creates it and fills it like a long-running,
 * upgraded install (NULLs in columns later releases added, realistic sizes, consistent keys):
 *
 *   npm run seed:aviary-db -- --engine sqlite --scale 1.59M --out aviary.db
 *   npm run seed:aviary-db -- --engine postgres --scale 1.59M --pg-db aviary_big
 *
 * --scale is the total row count (K/M suffixes), spread in the proportions of a large install
 * (10k users, 20k API keys, 50k sessions, 10k folder caches, 500k documents, 1M login attempts,
 * 10 settings at 1.59M). --layout fresh builds the newest release's column order instead.
 * PostgreSQL connection: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (default 127.0.0.1:5432 postgres);
 * the database is created when missing and must not hold Aviary tables yet.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { openKnex, postgresTarget, describeTarget, type AviaryDbTarget } from './aviary-db/connection';
import { countsForScale, generateAviaryDatabase } from './aviary-db/generate';
import type { GormLayout } from './aviary-db/gorm-schema';

const USAGE =
  'usage: npm run seed:aviary-db -- --engine sqlite|postgres --scale ROWS (--out FILE | --pg-db NAME) ' +
  '[--layout upgraded|fresh] [--seed S] [--replace]';

export function parseRowCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`--scale must be a row count such as 1590010, 300K or 1.59M, got ${JSON.stringify(text)}`);
  const factor = m[2].toLowerCase() === 'm' ? 1_000_000 : m[2].toLowerCase() === 'k' ? 1_000 : 1;
  return Math.round(Number(m[1]) * factor);
}

async function prepareTarget(engine: string, out: string | undefined, pgDb: string | undefined, replace: boolean): Promise<AviaryDbTarget> {
  if (engine === 'sqlite') {
    if (!out) throw new Error('--out FILE is required with --engine sqlite');
    if (existsSync(out)) {
      if (!replace) throw new Error(`${out} exists; pass --replace to overwrite it`);
      for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(out + suffix, { force: true });
    }
    return { kind: 'sqlite', path: out };
  }
  if (engine !== 'postgres') throw new Error(`--engine must be sqlite or postgres, got ${JSON.stringify(engine)}`);
  if (!pgDb || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pgDb)) throw new Error('--pg-db NAME (letters, digits, _) is required with --engine postgres');
  const target = postgresTarget(pgDb);
  if (target.kind !== 'postgres') throw new Error('unreachable');
  const admin = new Client({ host: target.host, port: target.port, user: target.user, password: target.password, database: 'postgres' });
  await admin.connect();
  try {
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [pgDb])).rowCount! > 0;
    if (exists && replace) await admin.query(`drop database "${pgDb}" with (force)`);
    if (!exists || replace) await admin.query(`create database "${pgDb}"`);
  } finally {
    await admin.end();
  }
  return target;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string' },
      scale: { type: 'string' },
      out: { type: 'string' },
      'pg-db': { type: 'string' },
      layout: { type: 'string', default: 'upgraded' },
      seed: { type: 'string', default: 'aviary' },
      replace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.engine || !values.scale) {
    process.stderr.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  if (values.layout !== 'upgraded' && values.layout !== 'fresh') throw new Error('--layout must be upgraded or fresh');
  const counts = countsForScale(parseRowCount(values.scale));
  const target = await prepareTarget(values.engine, values.out, values['pg-db'], values.replace ?? false);
  const db = openKnex(target);
  try {
    const result = await generateAviaryDatabase(db, target.kind, { counts, layout: values.layout as GormLayout, seed: values.seed });
    const total = Object.values(result.rows).reduce((a, b) => a + b, 0);
    const seconds = result.elapsedMs / 1000;
    process.stdout.write(
      `${describeTarget(target)}: ${total} rows in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} rows/s)\n` +
        Object.entries(result.rows).map(([t, n]) => `  ${t.padEnd(20)} ${n}`).join('\n') +
        '\nusers log in as user<N> with aviary-password-<(N-1) mod 4>; usable API keys:\n' +
        result.apiKeys.filter((k) => k.usable).slice(0, 3).map((k) => `  ${k.key}`).join('\n') + '\n',
    );
    return 0;
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`seed:aviary-db: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
