import { knex, type Knex } from '@mikro-orm/knex';
import type { LineStage } from '../../application/ports/record-store.port';
import type { TableDef } from '../../domain/schema/column';
import { createPrivateFileIfMissing } from '../system/private-files';
import type { SqliteConnection, SqliteStatement } from './bulk-insert';
import { all, exec, finalize, prepare, runCounting } from './sqlite-calls';

/**
 * Lines per statement into the stage: each statement is a hand-off to the driver's thread, which
 * costs more than SQLite's parse of a larger chunk (measured with the spool's chunks, see
 * jsonl.row-spool's WRITE_CHARS).
 */
const STAGE_CHUNK_BYTES = 256 * 1024;
/**
 * The stage's page cache (KiB). Its tables only grow at the end, so a larger cache holds nothing
 * worth keeping; it stays allocated until the stage closes, through the commit.
 */
const STAGE_CACHE_KIB = 1024;

/** What the commit may take from a finished table of the stage. */
export interface StagedTable {
  /** The schema name the stage's file is attached under on the main connection. */
  readonly schema: string;
  /** The stage's table of the rows as they arrived (see `arrivalTable`). */
  readonly table: string;
  readonly rows: number;
  /** The rows arrived in primary-key order already: the commit copies them as they lie, without sorting. */
  readonly ordered: boolean;
}

interface Opened {
  readonly db: Knex;
  readonly conn: SqliteConnection;
}

interface TableState {
  readonly def: TableDef;
  parts: Buffer[];
  size: number;
  /** The table's statements so far, in order; never rejects (a failure lands in `failed`). */
  chain: Promise<void>;
  failed?: unknown;
  statement?: SqliteStatement;
  rows: number;
  ended?: Promise<StagedTable | undefined>;
}

let stages = 0;

/**
 * SQLite's `LineStage`: the encoded tables parsed into a scratch database file while the archive is
 * still being read, on a connection of their own (another of the driver's worker threads), by the
 * same `json_each` statement the commit would run, into a table without key, index or type. The
 * file is attached to the main connection, so the commit copies a finished table in one statement,
 * in key order, and builds the indexes once (see `arrivalTable`).
 * The scratch file needs no durability (journal and fsync off): a crash leaves it to the spool's
 * sweep, and the database itself is only ever written by the commit's transaction, as before.
 * Every failure here only marks the table unusable; the commit then loads the spooled lines.
 */
export class SqliteLineStage implements LineStage {
  readonly schema = `aviary_stage_${++stages}`;
  private readonly tables = new Map<string, TableState>();
  private readonly opened: Promise<Opened | undefined>;
  /** Set once `opened` settled: before, the stage may still wait for the main connection. */
  private ready = false;
  private closed = false;

  constructor(private readonly file: string, private readonly main: Knex) {
    this.opened = this.open().finally(() => void (this.ready = true));
  }

  add(def: TableDef, lines: Uint8Array): Promise<void> {
    const state = this.state(def);
    if (state.ended || this.closed) {
      state.failed ??= new Error(`lines of ${def.name} after its end`);
      return Promise.resolve();
    }
    // The first lines wait for the stage to open: it needs the main connection once, before any transaction.
    if (!this.ready) {
      state.parts.push(Buffer.from(lines));
      state.size += lines.byteLength;
      return this.opened.then(() => undefined);
    }
    state.parts.push(Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength));
    state.size += lines.byteLength;
    return state.size < STAGE_CHUNK_BYTES ? Promise.resolve() : this.flush(state);
  }

  end(table: string): void {
    const state = this.tables.get(table);
    if (!state || state.ended) return;
    if (state.size > 0) void this.flush(state);
    state.ended = state.chain.then(async () => {
      await finalize(state.statement);
      state.statement = undefined;
      const opened = await this.opened;
      if (state.failed !== undefined || !opened) return undefined;
      return { schema: this.schema, table: arrivalTable(state.def.name), rows: state.rows, ordered: await arrivedInKeyOrder(opened.conn, state.def) };
    }).catch(() => undefined);
  }

  /**
   * The finished table, once all the stage's work is done (the commit's transaction reads the file,
   * which keeps the stage from writing it until the commit ends); undefined when the commit must load
   * the lines.
   */
  async taken(table: string): Promise<StagedTable | undefined> {
    // Still waiting for the main connection, which the caller's transaction now holds: not usable.
    if (!this.ready) return undefined;
    for (const state of this.tables.values()) await (state.ended ?? state.chain);
    return this.closed ? undefined : this.tables.get(table)?.ended;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.tables.values()) {
      await (state.ended ?? state.chain);
      await finalize(state.statement);
    }
    const opened = await this.opened;
    if (!opened) return;
    await this.main.raw(`detach database "${this.schema}"`).catch(() => undefined);
    opened.db.client.releaseConnection(opened.conn);
    await opened.db.destroy().catch(() => undefined);
  }

  /**
   * The only use of the main connection until `close`: attaching the file, outside any transaction
   * (ATTACH is refused inside one; the main knex runs it between them).
   */
  private async open(): Promise<Opened | undefined> {
    let db: Knex | undefined;
    try {
      // 0600 like the spool's own files: the stage holds key and token hashes too.
      await createPrivateFileIfMissing(this.file);
      db = knex({ client: 'sqlite3', connection: { filename: this.file }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
      const conn = (await db.client.acquireConnection()) as SqliteConnection;
      await exec(conn, `pragma journal_mode = off; pragma synchronous = off; pragma foreign_keys = off; pragma cache_size = -${STAGE_CACHE_KIB}`);
      await this.main.raw(`attach database ? as "${this.schema}"`, [this.file]);
      return { db, conn };
    } catch {
      await db?.destroy().catch(() => undefined);
      return undefined;
    }
  }

  private state(def: TableDef): TableState {
    let state = this.tables.get(def.name);
    if (!state) {
      state = { def, parts: [], size: 0, chain: Promise.resolve(), rows: 0 };
      const created = state;
      state.chain = this.create(created).catch((error) => void (created.failed ??= error));
      this.tables.set(def.name, state);
    }
    return state;
  }

  /** The table the rows arrive in, and the insert. */
  private async create(state: TableState): Promise<void> {
    const opened = await this.opened;
    if (!opened) throw new Error('the stage could not be opened');
    const name = state.def.name;
    await exec(opened.conn, `CREATE TABLE "${arrivalTable(name)}" (${state.def.columns.map((c) => `"${c.name}"`).join(', ')})`);
    state.statement = await prepare(opened.conn, linesInsertSql(state.def, arrivalTable(name)));
  }

  /** Starts the table's next statement once the previous one is done; resolves when the previous is. */
  private flush(state: TableState): Promise<void> {
    const chunk = Buffer.concat(state.parts, state.size);
    state.parts = [];
    state.size = 0;
    const previous = state.chain;
    state.chain = previous
      .then(async () => {
        if (state.failed !== undefined || !state.statement) return;
        state.rows += await runCounting(state.statement, [commaSeparated(chunk)]);
      })
      .catch((error) => void (state.failed ??= error));
    return previous;
  }
}

/** The statement that inserts a chunk of `sqliteLine` lines (joined by commas) from `json_each`. */
export function linesInsertSql(def: TableDef, into: string = def.name): string {
  const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
  const values = def.columns.map((_, i) => `value->>${i}`).join(', ');
  // Bound as bytes (a blob), read as text by SQLite itself: no UTF-8 decoding here and encoding again in the driver.
  return `INSERT INTO "${into}" (${columns}) SELECT ${values} FROM json_each('[' || CAST(? AS TEXT) || ']')`;
}

/**
 * The stage's table of rows as they arrive: no key, no index, no type (the commit's insert gives
 * the values the real columns' affinity, as loading the lines does). Archives list rows in the
 * order their database read them (a SQLite one: rowid, the order they were written, which for
 * Aviary's UUID keys is a random one). That order into the primary key's index is a random B-tree
 * insert per row, which with a bounded page cache made a million login attempts take twice as long
 * as rows in key order (1.59M-row restore: 32-45 s against 18 s); appending here and copying once,
 * sorted, into the real table with its other indexes built afterwards does not care.
 *
 * The stage once copied each table into an indexed twin of the real one, which the commit took
 * through SQLite's page-level transfer. The twin was a third copy of every row: on two cores it
 * competed with the read pass, and for the last table in the archive it ran after it. Measured on a
 * million login attempts, twin and transfer took 8.2-8.8 s, the sorted copy with its index builds
 * in the commit 5.0-5.9 s.
 */
function arrivalTable(table: string): string {
  return `${table}__arrived`;
}

/**
 * Whether the rows arrived in primary-key order (archives of a database this service restored):
 * one pass comparing each key with the next, on the stage's own connection, is cheaper than
 * SQLite's sorter in the commit (bounded by the page cache, spilling to its temporary files),
 * which does not notice sorted input. A repeated key counts as out of order; the commit's insert
 * then reports it, as loading the lines would.
 */
async function arrivedInKeyOrder(conn: SqliteConnection, def: TableDef): Promise<boolean> {
  const arrived = `"${arrivalTable(def.name)}"`;
  const key = `"${def.primaryKey}"`;
  const [order] = await all(conn, `select exists (select 1 from ${arrived} a join ${arrived} b on b.rowid = a.rowid + 1 where not (b.${key} > a.${key})) as scattered`);
  return !order.scattered;
}

/** Whole JSON lines → the same values separated by commas, in place (a newline never occurs inside a JSON line). */
export function commaSeparated(lines: Buffer): Buffer {
  const bytes = lines.subarray(0, lines.byteLength - 1);
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) bytes[at] = 0x2c;
  return bytes;
}
