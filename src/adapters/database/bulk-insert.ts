/// <reference lib="es2024.string" />
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Row, TableDef } from '../../domain/schema/column';
import { copyLine, copyStatement } from './copy-text';
import { withIndexesDeferred } from './pg-deferred-indexes';
import { swapInStaged, type PgLineStage } from './pg-line-stage';
import { withSqliteIndexesDeferred } from './sqlite-deferred-indexes';
import { commaSeparated, linesInsertSql, type SqliteLineStage, type StagedTable } from './sqlite-line-stage';
import { all, finalize, prepare, run, runCounting } from './sqlite-calls';
import { encodeValue, normaliseRow } from './value-codec';

/** Rows as callers hand them: an array, or a stream that is read once, in order. */
export type RowSource = Iterable<Row> | AsyncIterable<Row>;

/** The connection of the open transaction, as node-postgres and node-sqlite3 expose it. */
export interface PgConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  query<T extends object>(submittable: T): T;
}
export interface SqliteStatement {
  /** `changes` is set on the callback's `this`: rows the statement inserted. */
  run(params: unknown[], done: (this: { changes: number }, error: Error | null) => void): void;
  finalize(done: (error: Error | null) => void): void;
}
export interface SqliteConnection {
  prepare(sql: string, done: (error: Error | null) => void): SqliteStatement;
  all(sql: string, params: unknown[], done: (error: Error | null, rows: Record<string, unknown>[]) => void): void;
  exec(sql: string, done: (error: Error | null) => void): void;
}

/** Text handed to the server per CopyData message: large enough to amortise the write calls. */
const COPY_CHUNK_CHARS = 64 * 1024;

/**
 * PostgreSQL: the whole source through one `COPY … FROM STDIN` on the transaction's connection
 * (into an empty table with its indexes built afterwards, see `withIndexesDeferred`).
 * Rows are normalised and encoded as they are read, so the server parses and checks one chunk
 * while this process prepares the next. A failing row (in the source, the encoding or the server)
 * fails the COPY, and with it the transaction; nothing is half-written.
 */
export async function copyRows(conn: PgConnection, def: TableDef, rows: RowSource, now: Date): Promise<number> {
  let count = 0;
  async function* chunks(): AsyncGenerator<string> {
    let text = '';
    for await (const row of rows) {
      text += copyLine(def, normaliseRow(def, row, now));
      count++;
      if (text.length >= COPY_CHUNK_CHARS) {
        yield text;
        text = '';
      }
    }
    if (text) yield text;
  }
  return withIndexesDeferred(conn, def.name, async () => {
    await pipeline(Readable.from(chunks(), { objectMode: false }), conn.query(copyFrom(copyStatement(def))));
    return count;
  });
}

/**
 * PostgreSQL: lines written ahead by `copyLine` (the row path's own encoding), streamed as they are
 * into one `COPY … FROM STDIN`, as `copyRows` does with the lines it encodes itself. When a
 * `stage` loaded and indexed the table while the archive was read, its table takes the real one's
 * place instead (the chunks are then not read).
 */
export async function copyLines(conn: PgConnection, def: TableDef, chunks: AsyncIterable<Uint8Array>, stage?: PgLineStage): Promise<number> {
  const staged = await stage?.taken(def.name);
  if (staged && (await swapInStaged(conn, def, staged))) return staged.rows;
  return withIndexesDeferred(conn, def.name, async () => {
    const copy = conn.query(copyFrom(copyStatement(def)));
    await pipeline(Readable.from(chunks, { objectMode: false }), copy);
    return copy.rowCount;
  });
}

/**
 * SQLite can load a table from JSON lines when its JSON numbers read back exactly: integers do,
 * but SQLite's decimal parser misses the nearest double for some fractions, so a table with a
 * float column stays on the row path (the driver binds doubles as they are).
 */
export function sqliteLoadsLines(def: TableDef): boolean {
  return !def.columns.some((c) => c.type === 'float');
}

/**
 * SQLite's line for a canonical row: a JSON array of the values `insertSqliteRows` binds, in
 * column order. Text with a lone surrogate is made well-formed first, as the driver does when it
 * binds it (SQLite's JSON parser would store the surrogate's own bytes instead of U+FFFD).
 */
export function sqliteLine(def: TableDef, row: Row): string {
  const columns = def.columns;
  const values = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const value = encodeValue(columns[i], row[columns[i].name] ?? null, 'sqlite');
    values[i] = typeof value === 'string' && !value.isWellFormed() ? value.toWellFormed() : value;
  }
  // One stringify of the row's values: a third less time than one per value joined by hand.
  return JSON.stringify(values) + '\n';
}

/**
 * SQLite: lines of `sqliteLine`, one chunk per statement that inserts the chunk's rows from
 * `json_each`, so the values are parsed in C on the driver's worker thread instead of being
 * decoded and bound one by one here. The next chunk is read while SQLite writes this one.
 * When a `stage` finished the table while the archive was read, its rows are copied from there
 * instead (the chunks are then not read).
 */
export async function loadSqliteLines(conn: SqliteConnection, def: TableDef, chunks: AsyncIterable<Uint8Array>, stage?: SqliteLineStage): Promise<number> {
  const staged = await stage?.taken(def.name);
  const copied = staged ? await copyFromStage(conn, def, staged) : undefined;
  if (copied !== undefined) return copied;
  return withSqliteIndexesDeferred(conn, def.name, () => insertLineChunks(conn, def, chunks));
}

/**
 * A staged table into the empty real one in the transaction: the arrived rows in primary-key order
 * (sorted unless they came that way), the indexes other than the key's built afterwards, the
 * foreign keys checked row by row as any insert is. Undefined when the stage cannot be used here
 * (not attached on this connection, or the table has rows).
 */
async function copyFromStage(conn: SqliteConnection, def: TableDef, staged: StagedTable): Promise<number | undefined> {
  const target = `main."${def.name}"`;
  const source = `"${staged.schema}"."${staged.table}"`;
  try {
    const attached = await all(conn, 'pragma database_list');
    if (!attached.some((d) => d.name === staged.schema)) return undefined;
    const [probe] = await all(conn, `select exists (select 1 from ${target}) as has_rows, (select count(*) from ${source}) as staged_rows`);
    if (probe.has_rows || Number(probe.staged_rows) !== staged.rows) return undefined;
  } catch {
    return undefined; // the stage is not readable here: the lines it was built from are
  }
  const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
  const order = staged.ordered ? '' : ` ORDER BY "${def.primaryKey}"`;
  return withSqliteIndexesDeferred(conn, def.name, () => runSql(conn, `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${source}${order}`));
}

async function runSql(conn: SqliteConnection, sql: string): Promise<number> {
  const statement = await prepare(conn, sql);
  try {
    return await runCounting(statement, []);
  } finally {
    await finalize(statement);
  }
}

async function insertLineChunks(conn: SqliteConnection, def: TableDef, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  const statement = await prepare(conn, linesInsertSql(def));
  let count = 0;
  let pending: Promise<number> | null = null;
  try {
    for await (const chunk of chunks) {
      const elements = jsonArrayElements(chunk);
      if (pending) count += await pending;
      pending = runCounting(statement, [elements]);
      pending.catch(() => undefined); // awaited before the next chunk; this only marks it handled
    }
    if (pending) count += await pending;
    pending = null;
    return count;
  } finally {
    // A chunk still running when the source failed must end before the transaction rolls back.
    if (pending) await pending.catch(() => undefined);
    await finalize(statement);
  }
}

/** Whole JSON lines → the same values separated by commas (a newline never occurs inside a JSON line). */
function jsonArrayElements(lines: Uint8Array): Buffer {
  return commaSeparated(Buffer.from(lines)); // a copy: the caller's chunk stays as it was
}

/** SQLite's bound-parameter limit (SQLITE_MAX_VARIABLE_NUMBER since 3.32). */
const SQLITE_MAX_BINDINGS = 32_766;
/** Rows per statement: past about this many, a longer statement no longer saves time. */
const SQLITE_ROWS_PER_STATEMENT = 200;

/**
 * SQLite: multi-row INSERTs through one prepared statement per table (and one for the last,
 * shorter group; into an empty table with its indexes built afterwards, see
 * `withSqliteIndexesDeferred`), so the SQL is parsed once, not once per batch. While SQLite writes one group
 * (in the driver's worker thread), the next is normalised here; at most one group waits.
 */
export function insertSqliteRows(conn: SqliteConnection, def: TableDef, rows: RowSource, now: Date): Promise<number> {
  return withSqliteIndexesDeferred(conn, def.name, () => insertGroups(conn, def, rows, now));
}

async function insertGroups(conn: SqliteConnection, def: TableDef, rows: RowSource, now: Date): Promise<number> {
  const width = def.columns.length;
  const perStatement = Math.max(1, Math.min(SQLITE_ROWS_PER_STATEMENT, Math.floor(SQLITE_MAX_BINDINGS / width)));
  const full = await prepare(conn, insertSql(def, perStatement));
  let count = 0;
  let pending: Promise<void> | null = null;
  try {
    let params: unknown[] = [];
    let inGroup = 0;
    for await (const row of rows) {
      const canonical = normaliseRow(def, row, now);
      for (const col of def.columns) params.push(encodeValue(col, canonical[col.name] ?? null, 'sqlite'));
      count++;
      if (++inGroup === perStatement) {
        if (pending) await pending;
        pending = run(full, params);
        pending.catch(() => undefined); // awaited before the next group; this only marks it handled
        params = [];
        inGroup = 0;
      }
    }
    if (pending) await pending;
    pending = null;
    if (inGroup > 0) {
      const tail = await prepare(conn, insertSql(def, inGroup));
      try {
        await run(tail, params);
      } finally {
        await finalize(tail);
      }
    }
    return count;
  } finally {
    // A group still running when the source failed must end before the transaction rolls back.
    if (pending) await pending.catch(() => undefined);
    await finalize(full);
  }
}

function insertSql(def: TableDef, rowCount: number): string {
  const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
  const group = `(${def.columns.map(() => '?').join(', ')})`;
  return `INSERT INTO "${def.name}" (${columns}) VALUES ${Array.from({ length: rowCount }, () => group).join(', ')}`;
}
