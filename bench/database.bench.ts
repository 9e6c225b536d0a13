/**
 * The database path at scale: an Aviary-shaped SQLite database (GORM's DDL, the NULLs of an
 * upgraded install; scripts/aviary-db) taken OUT into an archive and brought IN again, on SQLite
 * and on PostgreSQL, next to pgloader loading the same SQLite file into PostgreSQL.
 *
 *   npm run bench -- database [--db-scale 1.59M] [--db-reps 1] [--db-skip-pgloader] [--db-keep]
 *
 * Rows: SQLite → archive (`backup create --no-files`), archive → empty SQLite and → empty
 * PostgreSQL (`restore --no-files`), PostgreSQL → archive, pgloader SQLite → PostgreSQL. Each runs
 * the compiled CLI in its own process under GNU time (wall time, the child's peak RSS). With
 * --db-reps N the sequence runs N times and each row reports the median time, the range and the
 * largest RSS: on a shared 2-core machine single runs differ by more than the changes measured.
 * Every load is counted afterwards (our restores and pgloader's): a run that lost rows fails. Options
 * starting with --db- reach only this bench (bench/run.ts). PostgreSQL: DB_HOST, DB_PORT, DB_USER,
 * DB_PASSWORD (default 127.0.0.1:5432, postgres); the bench creates and drops its databases.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Database, OPEN_READONLY } from 'sqlite3';
import { countsForScale, SYSTEM_SETTINGS_ROWS } from '../scripts/aviary-db/generate';
import { parseRowCount } from '../scripts/seed-aviary-db';
import { AVIARY_TABLE_NAMES } from '../src/domain/schema/aviary-schema';
import { compileForBench } from './support/compile';
import { benchTmpRoot, hasCommand, hasGnuTime, median, runMeasured } from './support/measure';

const { values } = parseArgs({
  options: {
    'db-scale': { type: 'string', default: '1.59M' },
    'db-reps': { type: 'string', default: '1' },
    'db-skip-pgloader': { type: 'boolean', default: false },
    'db-keep': { type: 'boolean', default: false },
  },
});
const root = mkdtempSync(join(benchTmpRoot(), 'aviary-bench-db-'));
const pg = {
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 5432),
  user: process.env.DB_USER ?? 'postgres',
  password: process.env.DB_PASSWORD ?? '',
};
const failures: string[] = [];

interface Result { work: string; seconds: number; runs: number[]; rows: number; rssMb?: number; mib?: number; note?: string }

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshDatabase(name: string): Promise<void> {
  await admin(async (c) => {
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.query(`create database "${name}"`);
  });
}

async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`drop database if exists "${name}" with (force)`)).catch(() => undefined);
}

async function pgRowCount(database: string): Promise<number> {
  const client = new Client({ ...pg, database });
  await client.connect();
  try {
    let total = 0;
    for (const t of AVIARY_TABLE_NAMES) total += Number((await client.query(`select count(*) as n from "${t}"`)).rows[0].n);
    return total;
  } finally {
    await client.end();
  }
}

function sqliteRowCount(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new Database(file, OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.get(`select ${AVIARY_TABLE_NAMES.map((t) => `(select count(*) from "${t}")`).join(' + ')} as n`, (err: Error | null, row: { n: number }) => {
        db.close();
        if (err) reject(err);
        else resolve(Number(row.n));
      });
    });
  });
}

function sqliteEnv(dataDir: string, file: string): NodeJS.ProcessEnv {
  return { ...process.env, DATA_DIR: dataDir, DB_TYPE: 'sqlite', DB_PATH: file, STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'error' };
}

function postgresEnv(dataDir: string, database: string): NodeJS.ProcessEnv {
  return {
    ...process.env, DATA_DIR: dataDir, DB_TYPE: 'postgres', DB_HOST: pg.host, DB_PORT: String(pg.port), DB_USER: pg.user,
    DB_PASSWORD: pg.password, DB_NAME: database, STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'error',
  };
}

async function cli(build: string, args: string[], env: NodeJS.ProcessEnv) {
  return runMeasured(process.execPath, [join(build, 'src/cli.js'), ...args], { env });
}

/**
 * One run of `work`; with `loaded`, the rows it left in its target, counted afterwards: fewer than
 * `rows` fails the bench for our own loads and is a note for a reference tool's (`reference`).
 */
async function measure(work: string, rows: number, run: () => Promise<{ wallMs: number; maxRssKb?: number }>,
  options: { archive?: string; loaded?: () => Promise<number>; reference?: boolean } = {}): Promise<void> {
  try {
    const m = await run();
    const mib = options.archive ? statSync(options.archive).size / 1024 ** 2 : undefined;
    const loaded = options.loaded ? await options.loaded() : rows;
    if (loaded !== rows && !options.reference) failures.push(`${work}: ${loaded} rows loaded, ${rows} expected`);
    record(work, rows, m.wallMs / 1000, m.maxRssKb ? m.maxRssKb / 1024 : undefined, mib, loaded === rows ? undefined : `loaded ${loaded} of ${rows} rows`);
    console.log(`  ${work.padEnd(34)} ${(m.wallMs / 1000).toFixed(1).padStart(7)} s  ${Math.round(rows / (m.wallMs / 1000))} rows/s  ${m.maxRssKb ? `${Math.round(m.maxRssKb / 1024)} MB RSS` : ''}`);
  } catch (error) {
    failures.push(`${work}: ${String(error).slice(0, 800)}`);
    console.log(`  ${work}: FAILED`);
  }
}

/** Adds a run to the work's row: the median of its runs, the largest RSS. */
function record(work: string, rows: number, seconds: number, rssMb: number | undefined, mib: number | undefined, note: string | undefined): void {
  let result = results.find((r) => r.work === work);
  if (!result) results.push((result = { work, seconds, runs: [], rows }));
  result.runs.push(seconds);
  result.seconds = median(result.runs);
  if (rssMb !== undefined) result.rssMb = Math.max(result.rssMb ?? 0, rssMb);
  result.mib = mib ?? result.mib;
  result.note = note ?? result.note;
}

const results: Result[] = [];

async function main() {
  const counts = countsForScale(parseRowCount(values['db-scale']!));
  const rows = Object.values(counts).reduce((a, b) => a + b, 0) + SYSTEM_SETTINGS_ROWS;
  console.log(`bench dir ${root} (${cpus().length} cores, node ${process.version}${hasGnuTime ? '' : ', no /usr/bin/time: no RSS'}), ${rows} rows`);
  const build = compileForBench(join(root, 'build'));
  const source = join(root, 'aviary.db');
  const seeded = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'scripts', 'seed-aviary-db.ts'),
    '--engine', 'sqlite', '--scale', values['db-scale']!, '--out', source], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (seeded.status !== 0) throw new Error('seeding the SQLite database failed');
  console.log(`seeded ${source} (${(statSync(source).size / 1024 ** 2).toFixed(0)} MiB)`);
  const reps = Math.max(1, Number(values['db-reps']));
  for (let rep = 1; rep <= reps; rep++) {
    if (reps > 1) console.log(`rep ${rep} of ${reps}`);
    await runSequence(build, source, rows);
  }
  report(rows, reps);
}

/** Out and in on both engines, then pgloader, once. */
async function runSequence(build: string, source: string, rows: number): Promise<void> {

  // OUT from SQLite: a copy, since the service adds its own tables to the database it opens.
  const outDir = join(root, 'sqlite-out');
  mkdirSync(join(outDir, 'data'), { recursive: true });
  copyFileSync(source, join(outDir, 'aviary.db'));
  const archive = join(root, 'sqlite.tar.gz');
  await measure('database out: SQLite → archive', rows, () =>
    cli(build, ['backup', 'create', '--no-files', '--output', archive], sqliteEnv(join(outDir, 'data'), join(outDir, 'aviary.db'))), { archive });
  rmSync(outDir, { recursive: true, force: true });

  const restoreArgs = ['restore', archive, '--no-files', '--no-safety-backup', '--allow-no-admin', '--yes'];
  const sqliteIn = join(root, 'sqlite-in');
  mkdirSync(join(sqliteIn, 'data'), { recursive: true });
  const sqliteFile = join(sqliteIn, 'aviary.db');
  await measure('database in: archive → SQLite', rows, () => cli(build, restoreArgs, sqliteEnv(join(sqliteIn, 'data'), sqliteFile)),
    { loaded: () => sqliteRowCount(sqliteFile) });
  rmSync(sqliteIn, { recursive: true, force: true });

  const pgName = 'aviary_bench_db_in';
  const pgData = join(root, 'pg-data');
  mkdirSync(pgData, { recursive: true });
  await freshDatabase(pgName);
  try {
    await measure('database in: archive → PostgreSQL', rows, () => cli(build, restoreArgs, postgresEnv(pgData, pgName)),
      { loaded: () => pgRowCount(pgName) });
    const pgArchive = join(root, 'postgres.tar.gz');
    await measure('database out: PostgreSQL → archive', rows, () =>
      cli(build, ['backup', 'create', '--no-files', '--output', pgArchive], postgresEnv(pgData, pgName)), { archive: pgArchive });
  } finally {
    await dropDatabase(pgName);
  }

  if (values['db-skip-pgloader']) console.log('pgloader row skipped (--db-skip-pgloader)');
  else if (!hasCommand('pgloader')) console.log('pgloader is not installed (Debian: apt-get install pgloader): its row is skipped');
  else {
    const loaderDb = 'aviary_bench_pgloader';
    await freshDatabase(loaderDb);
    try {
      const target = `postgresql://${encodeURIComponent(pg.user)}${pg.password ? ':' + encodeURIComponent(pg.password) : ''}@${pg.host}:${pg.port}/${loaderDb}`;
      // GORM declares booleans `numeric default false` on SQLite: pgloader's default cast keeps numeric
      // and fails on the default, loading nothing. PostgreSQL reads the stored 0/1 as booleans.
      const loadFile = join(root, 'aviary.load');
      writeFileSync(loadFile, `LOAD DATABASE\n  FROM sqlite://${source}\n  INTO ${target}\n` +
        'WITH include drop, create tables, create indexes, reset sequences\nCAST type numeric to boolean drop default\n;\n');
      await measure('pgloader: SQLite → PostgreSQL', rows, () => runMeasured('pgloader', ['--quiet', loadFile]),
        { loaded: () => pgRowCount(loaderDb).catch(() => -1), reference: true });
    } finally {
      await dropDatabase(loaderDb);
    }
  }
}

function report(rows: number, reps: number) {
  const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
  const loader = results.find((r) => r.work.startsWith('pgloader'));
  const head = ['work', 'time s', 'runs s', 'rows/s', 'peak RSS MB', 'archive MiB', 'vs pgloader', 'note'];
  const range = (r: Result) => (r.runs.length > 1 ? `${f(Math.min(...r.runs))}–${f(Math.max(...r.runs))}` : '–');
  const lines = results.map((r) => [r.work, f(r.seconds), range(r), String(Math.round(r.rows / r.seconds)), f(r.rssMb, 0), f(r.mib),
    loader && r !== loader && r.work.includes('→ PostgreSQL') ? `${f(r.seconds / loader.seconds, 2)}× its time` : '–', r.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const runs = reps > 1 ? `median of ${reps} runs` : 'one run';
  console.log(`\n${rows} rows, wall time of the whole command (start-up included), ${runs}; rows/s and the ratio from the median`);
  console.log([fmt(head), ...lines.map(fmt)].join('\n'));
  const resultsDir = join(benchTmpRoot(), 'aviary-bench-results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `database-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, node: process.version, rows, results, failures }, null, 2));
  console.log(`results: ${file}`);
}

main()
  .catch((error) => {
    failures.push(String(error));
  })
  .finally(() => {
    if (failures.length > 0) {
      console.error(`\n*** ${failures.length} FAILURE(S) ***\n${failures.join('\n')}`);
      process.exitCode = 1;
    }
    if (!values['db-keep']) rmSync(root, { recursive: true, force: true });
  });
