import { isUtf8 } from 'node:buffer';
import type { Knex } from '@mikro-orm/knex';
import type { Row, TableDef } from '../../domain/schema/column';
import { tableDef, type AviaryTableName } from '../../domain/schema/aviary-schema';
import { isUuid } from '../../domain/schema/values';
import { InvalidInputError } from '../../domain/errors';
import type { LineStage, RecordWriter, RowFilter, RowLineEncoding, TableJsonChunk } from '../../application/ports/record-store.port';
import { rowEncoder } from '../../domain/archive/table-json';
import type { Dialect, Engine } from './engine';
import { guarded, translateDriverError } from './driver-errors';
import { decodeRowInPlace, encodeRow, normaliseRow } from './value-codec';
import {
  copyLines, copyRows, insertSqliteRows, loadSqliteLines, sqliteLine, sqliteLoadsLines, type PgConnection, type RowSource, type SqliteConnection,
} from './bulk-insert';
import { copyLine } from './copy-text';
import { sqliteFeatures, sqliteJsonLine, type SqliteFeatures } from './sqlite-json-lines';
import { SqliteLineStage } from './sqlite-line-stage';
import { PgLineStage, sweepPgStages } from './pg-line-stage';

/**
 * Keyset pages are sized by bytes: the first asks for FIRST_PAGE_ROWS rows, each next one for as
 * many rows as fit PAGE_BYTES at the average row size seen so far (login attempts are ~200 bytes,
 * users with pairing files several KB), within MIN/MAX_PAGE_ROWS. Small pages keep peak memory
 * down: a page lives across the awaits of its encoding, so V8 moves what is alive then into its
 * old generation, which is collected late; at 1 MiB pages, that garbage alone added ~100 MB.
 */
export const PAGE_BYTES = 256 * 1024;
const FIRST_PAGE_ROWS = 1000;
const MIN_PAGE_ROWS = 100;
const MAX_PAGE_ROWS = 2_000;
/** PostgreSQL pages by heap block (see `blockPages`): 32 blocks of 8 KiB hold about PAGE_BYTES of rows. */
const HEAP_BLOCKS_PER_PAGE = 32;
/** Rows of each page whose size is measured. */
const SAMPLE_ROWS = 200;
/** MySQL-family statements hold at most 65,535 placeholders; fewer keep each packet small. */
const MAX_BINDINGS_PER_STATEMENT = 8_000;
/** Text per statement, well inside MariaDB's default 16 MiB max_allowed_packet even at 4 bytes a character. */
const MAX_STATEMENT_CHARS = 2 * 1024 * 1024;

/**
 * SQLite table files are read in pages of about JSON_PAGE_BYTES of text (one blob each, see
 * `tableJson`): a page is held a few times over while it passes from SQLite to the spool.
 */
const JSON_PAGE_BYTES = 512 * 1024;
/** Small: a table whose pages go through rows (users with fractional page_dpi) holds its first page as rows. */
const JSON_FIRST_PAGE_ROWS = 500;
const JSON_MAX_PAGE_ROWS = 20_000;
/** Between the rows of a table file, and before its first (see table-json). */
const LINE_SEPARATOR = ',\n  ';
const FIRST_LINE = '[\n  ';

/**
 * The line form `loadLines` takes on engines with a bulk load of their own (see RowLineEncoding);
 * with a stage over `main`, the store's own knex (on SQLite its one write connection; on PostgreSQL
 * its pool, which lends the stage a connection per table).
 */
export function lineEncoding(dialect: Dialect, main?: Knex): RowLineEncoding | undefined {
  if (dialect === 'postgres') {
    return { encodes: () => true, line: copyLine, ...(main ? { openStage: () => new PgLineStage(main), sweepStages: () => sweepPgStages(main) } : {}) };
  }
  if (dialect === 'sqlite') {
    return { encodes: sqliteLoadsLines, line: sqliteLine, ...(main ? { openStage: (file: string, tables: readonly TableDef[]) => new SqliteLineStage(file, main, tables.filter(sqliteLoadsLines)) } : {}) };
  }
  return undefined;
}

/** Counters that let tests prove streaming reads in pages. */
export interface StoreStats {
  streamBatches: number;
  /** SQLite table-file pages SQLite could not write itself, encoded from rows instead. */
  jsonPagesFromRows?: number;
}

/** How pages are ordered: an SQL expression, and the row's column holding it (none: read as SCAN_KEY_ALIAS). */
interface ScanKey {
  readonly sql: string;
  readonly column?: string;
}
const SCAN_KEY_ALIAS = 'aviary_scan_key';

interface JsonPage {
  n: number;
  last: unknown;
  lines: number;
  body: Buffer | null;
}

/**
 * Reader and writer over one knex transaction. Valid only while the transaction is open, i.e.
 * inside the `readSnapshot` / `writeTransaction` callback that received it. One connection: await
 * each call before the next (calls between the pages of a stream are fine; Promise.all is not).
 */
export class KnexRecordAccess implements RecordWriter {
  /** SQLite only: the table files written by SQLite itself (see sqlite-json-lines). */
  readonly tableJson?: (table: AviaryTableName, filter?: RowFilter) => AsyncIterable<TableJsonChunk>;
  /** Engines with a `lineEncoding` only. */
  readonly loadLines?: (table: AviaryTableName, chunks: AsyncIterable<Uint8Array>, stage?: LineStage) => Promise<number>;

  constructor(
    private readonly db: Knex.Transaction,
    private readonly engine: Engine,
    private readonly stats: StoreStats,
  ) {
    if (engine.dialect === 'sqlite') this.tableJson = (table, filter) => this.sqliteTableJson(table, filter);
    if (lineEncoding(engine.dialect)) this.loadLines = (table, chunks, stage) => this.bulkLoadLines(table, chunks, stage);
  }

  async count(table: AviaryTableName, filter?: RowFilter): Promise<number> {
    const def = definition(table);
    const query = this.filtered(def, filter).count({ n: '*' });
    const [row] = await guarded(this.engine, () => query, `count ${table}`);
    return Number((row as { n: unknown }).n);
  }

  async *stream(table: AviaryTableName, filter?: RowFilter): AsyncIterable<Row> {
    const def = definition(table);
    for await (const page of this.keyedPages(def, filter, { sql: this.keyExpression(def), column: def.primaryKey })) yield* page;
  }

  /** The rows of `stream` in the order the table lies (see `scanKey` and `heapBlocks`). */
  async *pages(table: AviaryTableName, filter?: RowFilter): AsyncIterable<readonly Row[]> {
    const def = definition(table);
    const blocks = this.engine.dialect === 'postgres' ? await this.heapBlocks(def) : undefined;
    if (blocks !== undefined) yield* this.blockPages(def, filter, blocks);
    else yield* this.keyedPages(def, filter, await this.scanKey(def));
  }

  /**
   * PostgreSQL 14 and later: how many heap blocks the table has, for `blockPages`. Every row the
   * snapshot (REPEATABLE READ, taken before this) sees was written before it, so it lies in one of
   * these blocks; rows written since are not seen wherever they lie.
   */
  private async heapBlocks(def: TableDef): Promise<number | undefined> {
    const result = (await guarded(this.engine, () => this.db.raw(
      `select current_setting('server_version_num')::int >= 140000 as ranges, pg_relation_size(?::regclass) / current_setting('block_size')::int as blocks`,
      [def.name],
    ), `read the size of ${def.name}`)) as unknown as { rows: { ranges: boolean; blocks: string | number }[] };
    const [row] = result.rows;
    return row?.ranges ? Number(row.blocks) : undefined;
  }

  /**
   * PostgreSQL: pages of HEAP_BLOCKS_PER_PAGE blocks of the table (a TID range scan each), so rows
   * come in the order they lie. Pages in primary-key order read the heap through the key's index,
   * one random block per row once the table's order no longer follows the key (Aviary's random
   * UUIDs; any table loaded from such an archive): 1.59M rows took 16.9 s that way.
   */
  private async *blockPages(def: TableDef, filter: RowFilter | undefined, blocks: number): AsyncIterable<readonly Row[]> {
    const columns = def.columns.map((c) => c.name);
    const fetch = (from: number): Promise<Record<string, unknown>[]> => {
      const query = this.filtered(def, filter).select(columns).whereRaw('ctid >= ?::tid and ctid < ?::tid', [`(${from},0)`, `(${from + HEAP_BLOCKS_PER_PAGE},0)`]);
      const page = guarded(this.engine, () => query, `read ${def.name}`) as Promise<Record<string, unknown>[]>;
      page.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
      return page;
    };
    let next: Promise<Record<string, unknown>[]> | null = blocks > 0 ? fetch(0) : null;
    for (let from = 0; next; from += HEAP_BLOCKS_PER_PAGE) {
      const raw: Record<string, unknown>[] = await next;
      this.stats.streamBatches += 1;
      next = from + HEAP_BLOCKS_PER_PAGE < blocks ? fetch(from + HEAP_BLOCKS_PER_PAGE) : null;
      if (raw.length === 0) continue;
      for (const row of raw) decodeRowInPlace(def, row);
      yield raw as Row[];
    }
  }

  /**
   * Keyset pagination on `key`: each page is one query, and at most two pages are held. The next
   * page is asked for as soon as a page arrives, so the database reads it while this process
   * decodes and the consumer writes the current one.
   */
  private async *keyedPages(def: TableDef, filter: RowFilter | undefined, key: ScanKey): AsyncIterable<readonly Row[]> {
    const table = def.name;
    const columns = def.columns.map((c) => c.name);
    // The rowid is read under a name of its own and taken off each row before it is decoded.
    const keyColumn = key.column ?? SCAN_KEY_ALIAS;
    const selected: (string | Knex.Raw)[] = key.column === undefined ? [...columns, this.db.raw(`${key.sql} as "${SCAN_KEY_ALIAS}"`)] : columns;
    const fetch = (after: unknown, limit: number): Promise<Record<string, unknown>[]> => {
      const query = this.filtered(def, filter).select(selected).orderByRaw(key.sql).limit(limit);
      if (after !== undefined) query.whereRaw(`${key.sql} > ?`, [after as Knex.Value]);
      const page = guarded(this.engine, () => query, `read ${table}`) as Promise<Record<string, unknown>[]>;
      page.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
      return page;
    };
    let limit = FIRST_PAGE_ROWS;
    let rows = 0;
    let bytes = 0;
    let next: Promise<Record<string, unknown>[]> | null = fetch(undefined, limit);
    while (next) {
      const raw: Record<string, unknown>[] = await next;
      this.stats.streamBatches += 1;
      if (raw.length < limit) next = null;
      else {
        const sample = raw.slice(0, SAMPLE_ROWS);
        rows += sample.length;
        bytes += approximateBytes(sample, columns);
        limit = Math.min(MAX_PAGE_ROWS, Math.max(MIN_PAGE_ROWS, Math.floor((PAGE_BYTES * rows) / Math.max(1, bytes))));
        next = fetch(raw[raw.length - 1][keyColumn], limit);
      }
      // The last property added: deleting it returns the row to its shape without one.
      if (key.column === undefined) for (const row of raw) delete row[SCAN_KEY_ALIAS];
      for (const row of raw) decodeRowInPlace(def, row);
      yield raw as Row[];
    }
  }

  /**
   * Keyset pages as in `pages`, each one query that returns the page's lines joined into one blob
   * (`sqliteJsonLine`): no row object is made. A page with a value the expression does not cover,
   * or with text that is not valid UTF-8 (the driver would have read U+FFFD), is read again as
   * rows and encoded here, so the bytes are always those of the row path.
   */
  private async *sqliteTableJson(table: AviaryTableName, filter?: RowFilter): AsyncGenerator<TableJsonChunk> {
    const def = definition(table);
    const key = (await this.scanKey(def)).sql;
    const line = sqliteJsonLine(def, await this.sqliteFeatures());
    const fetch = (after: unknown, limit: number, first: boolean): Promise<JsonPage> => {
      const inner = this.filtered(def, filter).select(this.db.raw(`${key} as k`), this.db.raw(`${line} as line`)).orderByRaw(key).limit(limit);
      if (after !== undefined) inner.whereRaw(`${key} > ?`, [after as Knex.Value]);
      const { sql, bindings } = inner.toSQL();
      const outer = this.db.raw(
        `select count(*) as n, max(k) as last, count(line) as lines, cast(? || group_concat(line, ?) as blob) as body from (${sql})`,
        [first ? FIRST_LINE : LINE_SEPARATOR, LINE_SEPARATOR, ...bindings],
      );
      const page = guarded(this.engine, async () => ((await outer) as unknown as JsonPage[])[0], `read ${table}`);
      page.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
      return page;
    };
    let limit = JSON_FIRST_PAGE_ROWS;
    let after: unknown;
    let first = true;
    let wrote = false;
    let next: Promise<JsonPage> | null = fetch(after, limit, first);
    while (next) {
      const page: JsonPage = await next;
      this.stats.streamBatches += 1;
      const complete = page.n > 0 && page.lines === page.n && page.body !== null && isUtf8(page.body);
      // The next page is asked for at once when this one is whole; a page read again as rows first
      // (its blob said nothing about the size of its rows).
      const chunk = page.n === 0 ? null : complete ? { bytes: page.body!, rows: page.n } : await this.jsonFromRows(def, filter, after, limit, first);
      if (page.n < limit) next = null;
      else {
        after = page.last;
        first = false;
        limit = Math.min(JSON_MAX_PAGE_ROWS, Math.max(MIN_PAGE_ROWS, Math.floor((JSON_PAGE_BYTES * page.n) / Math.max(1, chunk!.bytes.byteLength))));
        next = fetch(after, limit, first);
      }
      if (chunk) {
        wrote = true;
        yield chunk;
      }
    }
    yield { bytes: Buffer.from(wrote ? '\n]\n' : '[]\n'), rows: 0 };
  }

  private features?: Promise<SqliteFeatures>;
  private readonly scanKeys = new Map<string, Promise<ScanKey>>();

  /**
   * The order a backup reads a table in. On SQLite, the table's rowid where it has one: keyset
   * pages on it walk the table's own b-tree in order, where pages on Aviary's primary keys (text
   * UUIDs) go through their index, one random lookup of the row per row (1M login attempts: ~1 s
   * against ~7 s). Elsewhere, and for a SQLite table WITHOUT ROWID or with a column of that name,
   * the primary key. Asked once per table and snapshot.
   */
  private scanKey(def: TableDef): Promise<ScanKey> {
    const byPrimaryKey: ScanKey = { sql: this.keyExpression(def), column: def.primaryKey };
    if (this.engine.dialect !== 'sqlite') return Promise.resolve(byPrimaryKey);
    let key = this.scanKeys.get(def.name);
    if (!key) {
      key = guarded(this.engine, async () => {
        const rows = (await this.db.raw(
          `select (select wr from pragma_table_list where schema = 'main' and name = ?) as wr,
            (select count(*) from pragma_table_xinfo(?) where lower(name) in ('rowid', '_rowid_', 'oid')) as named`,
          [def.name, def.name],
        )) as unknown as { wr: number | null; named: number }[];
        return rows[0]?.wr === 0 && Number(rows[0].named) === 0 ? { sql: 'rowid' } : byPrimaryKey;
      }, `read the layout of ${def.name}`).catch(() => byPrimaryKey); // pragma_table_list: SQLite 3.37 and later
      this.scanKeys.set(def.name, key);
    }
    return key;
  }

  /** The connection's SQLite version's features, asked once per snapshot. */
  private sqliteFeatures(): Promise<SqliteFeatures> {
    this.features ??= guarded(this.engine, async () => {
      const [row] = (await this.db.raw('select sqlite_version() as version')) as unknown as { version: string }[];
      return sqliteFeatures(String(row.version));
    }, 'read the SQLite version');
    return this.features;
  }

  /** One page of a table file encoded from its rows, as the row path writes it. */
  private async jsonFromRows(def: TableDef, filter: RowFilter | undefined, after: unknown, limit: number, first: boolean): Promise<TableJsonChunk> {
    this.stats.jsonPagesFromRows = (this.stats.jsonPagesFromRows ?? 0) + 1;
    const key = (await this.scanKey(def)).sql;
    const query = this.filtered(def, filter).select(def.columns.map((c) => c.name)).orderByRaw(key).limit(limit);
    if (after !== undefined) query.whereRaw(`${key} > ?`, [after as Knex.Value]);
    const rows = (await guarded(this.engine, () => query, `read ${def.name}`)) as Record<string, unknown>[];
    const line = rowEncoder(def.columns);
    const text = (first ? FIRST_LINE : LINE_SEPARATOR) + rows.map((row) => line(decodeRowInPlace(def, row))).join(LINE_SEPARATOR);
    return { bytes: Buffer.from(text), rows: rows.length };
  }

  /**
   * PostgreSQL: one COPY for the whole source; SQLite: prepared multi-row INSERTs. Both run on the
   * transaction's own connection, so the rows commit or roll back with everything else in it.
   */
  async insert(table: AviaryTableName, rows: RowSource): Promise<number> {
    const def = definition(table);
    const now = new Date();
    if (this.engine.dialect === 'mysql') return this.insertInStatements(def, rows, now);
    return this.onConnection(table, rows, (conn, source) =>
      this.engine.dialect === 'postgres' ? copyRows(conn as PgConnection, def, source, now) : insertSqliteRows(conn as SqliteConnection, def, source, now));
  }

  /** `insert` for lines of `lineEncoding`: they go to the engine's bulk load as they are. */
  private bulkLoadLines(table: AviaryTableName, chunks: AsyncIterable<Uint8Array>, stage?: LineStage): Promise<number> {
    const def = definition(table);
    return this.onConnection(table, chunks, (conn, source) =>
      this.engine.dialect === 'postgres'
        ? copyLines(conn as PgConnection, def, source, stage instanceof PgLineStage ? stage : undefined)
        : loadSqliteLines(conn as SqliteConnection, def, source, stage instanceof SqliteLineStage ? stage : undefined));
  }

  /** Runs a bulk load from `items` on the transaction's own driver connection. */
  private async onConnection<T>(
    table: AviaryTableName,
    items: Iterable<T> | AsyncIterable<T>,
    load: (conn: unknown, source: AsyncIterable<T>) => Promise<number>,
  ): Promise<number> {
    const conn: unknown = await this.db.client.acquireConnection();
    // The caller's source may fail too (a spool on a full disk): its error is passed on as it is.
    let sourceFailure: { error: unknown } | undefined;
    async function* source(): AsyncIterable<T> {
      try {
        yield* items;
      } catch (error) {
        sourceFailure = { error };
        throw error;
      }
    }
    try {
      return await load(conn, source());
    } catch (error) {
      throw sourceFailure ? sourceFailure.error : translateDriverError(error, this.engine, `insert into ${table}`);
    }
  }

  /**
   * Engines without a bulk path of their own (the MySQL family): multi-row INSERT statements through
   * knex, each within the statement's row and bind-variable limits.
   */
  private async insertInStatements(def: TableDef, rows: RowSource, now: Date): Promise<number> {
    const perStatement = Math.max(1, Math.floor(MAX_BINDINGS_PER_STATEMENT / def.columns.length));
    let chunk: Row[] = [];
    let written = 0;
    const flush = async () => {
      const encoded = chunk.map((row) => encodeRow(def, normaliseRow(def, row, now), this.engine.dialect));
      chunk = [];
      await guarded(this.engine, () => this.db(def.name).insert(encoded), `insert into ${def.name}`);
      written += encoded.length;
    };
    let bytes = 0;
    for await (const row of rows) {
      chunk.push(row);
      for (const value of Object.values(row)) if (typeof value === 'string') bytes += value.length;
      if (chunk.length >= perStatement || bytes >= MAX_STATEMENT_CHARS) {
        await flush();
        bytes = 0;
      }
    }
    if (chunk.length > 0) await flush();
    return written;
  }

  async delete(table: AviaryTableName, filter?: RowFilter): Promise<number> {
    const def = definition(table);
    const deleted = await guarded(this.engine, () => this.filtered(def, filter).delete(), `delete from ${table}`);
    return Number(deleted);
  }

  private filtered(def: TableDef, filter: RowFilter | undefined): Knex.QueryBuilder {
    const query = this.db(def.name);
    if (!filter) return query;
    const col = def.columns.find((c) => c.name === filter.column);
    if (!col) {
      throw new InvalidInputError('unknown_column', `${def.name} has no column ${filter.column} to filter on`);
    }
    // A UUID column cannot hold anything else; PostgreSQL would reject the comparison outright.
    const values = col.type === 'uuid' ? filter.in.filter(isUuid).map((v) => v.toLowerCase()) : [...filter.in];
    return values.length === 0 ? query.whereRaw('1 = 0') : query.whereIn(col.name, values);
  }

  /** Primary-key order must be identical on both engines: bytewise ("C") for text keys on PostgreSQL. */
  private keyExpression(def: TableDef): string {
    const col = def.columns.find((c) => c.name === def.primaryKey)!;
    const quoted = `"${col.name}"`;
    return this.engine.dialect === 'postgres' && col.type !== 'uuid' ? `${quoted} collate "C"` : quoted;
  }
}

function definition(table: AviaryTableName): TableDef {
  const def = tableDef(table);
  if (!def) throw new InvalidInputError('unknown_table', `Unknown table ${String(table)}`);
  return def;
}

/** Text length of a page's values (plus a few bytes for the rest): enough to size the next page. */
function approximateBytes(page: readonly Record<string, unknown>[], columns: readonly string[]): number {
  let total = 0;
  for (const row of page) {
    for (const name of columns) {
      const value = row[name];
      total += typeof value === 'string' ? value.length + 6 : 12;
    }
  }
  return total;
}
