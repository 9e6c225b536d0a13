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
 * The stage's page cache per table file (KiB). Its tables only grow at the end, so a larger cache
 * holds nothing worth keeping. Both connections give back what their caches hold once a table is
 * done with (`shrink_memory`): they stay open through the commit.
 */
const STAGE_CACHE_KIB = 512;
/** The sorting connection's page cache per table file (KiB); SQLite's sorter works in about as much again. */
const SORT_CACHE_KIB = 1024;

/** What the commit may take from a finished table of the stage. */
export interface StagedTable {
  /** The schema name the table's stage file is attached under on the main connection. */
  readonly schema: string;
  /** The table of the staged rows in that file (see `arrivalTable` and `sortedTable`). */
  readonly table: string;
  readonly rows: number;
  /** The rows lie in primary-key order already: the commit copies them as they lie, without sorting. */
  readonly ordered: boolean;
}

interface Connection {
  readonly db: Knex;
  readonly conn: SqliteConnection;
}

interface Opened {
  /** Takes the arriving lines, table after table. */
  readonly stage: Connection;
  /** Sorts a finished table while the stage takes the next one's lines (another of the driver's threads). */
  readonly sorter: Connection;
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
 * SQLite's `LineStage`: the encoded tables parsed into scratch database files while the archive is
 * still being read, by the same `json_each` statement the commit would run, into a table without
 * key, index or type, on a connection of their own (another of the driver's worker threads). Each
 * table has a file of its own, attached to the main connection before any transaction, so the
 * commit copies a finished table in one statement, in key order, and builds the indexes once.
 * A table whose rows came out of key order is sorted into a second table of its file as soon as
 * it ends, on a third connection: while the stage takes the next table's lines, and for the last
 * table while the commit copies the others. The commit's transaction reads a table's file only
 * once its sort is done, and no other file is written after it was read: a reader's lock would
 * keep a writer of the same file waiting until the commit ends.
 * The scratch files need no durability (journal and fsync off): a crash leaves them to the spool's
 * sweep, and the database itself is only ever written by the commit's transaction, as before.
 * Every failure here, a sort's too, only marks the table unusable; the commit then loads the
 * spooled lines.
 */
export class SqliteLineStage implements LineStage {
  readonly schema = `aviary_stage_${++stages}`;
  private readonly tables = new Map<string, TableState>();
  private readonly opened: Promise<Opened | undefined>;
  /** Set once `opened` settled: before, the stage may still wait for the main connection. */
  private ready = false;
  private closed = false;

  /** `file`: the stage's own file; each of `defs` (the tables it may take) gets one beside it. */
  constructor(private readonly file: string, private readonly main: Knex, private readonly defs: readonly TableDef[]) {
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
      const arrived: StagedTable = { schema: this.attachedAs(table), table: arrivalTable(table), rows: state.rows, ordered: false };
      const ordered = await arrivedInKeyOrder(opened.stage.conn, fileSchema(table), state.def);
      await exec(opened.stage.conn, 'pragma shrink_memory');
      if (ordered) return { ...arrived, ordered: true };
      // A sort that failed (a full disk, say) may have left the unjournalled file in any state: the
      // commit loads the lines instead (the catch below).
      await sortInFile(opened.sorter.conn, state.def);
      await exec(opened.sorter.conn, 'pragma shrink_memory');
      return { ...arrived, table: sortedTable(table), ordered: true };
    }).catch(() => undefined);
  }

  /**
   * The finished table, once the stage's work on it is done (the commit's transaction reads the
   * table's file, which keeps anyone else from writing it until the commit ends); undefined when
   * the commit must load the lines.
   */
  async taken(table: string): Promise<StagedTable | undefined> {
    // Still waiting for the main connection, which the caller's transaction now holds: not usable.
    if (!this.ready) return undefined;
    const state = this.tables.get(table);
    const staged = await (state?.ended ?? state?.chain.then(() => undefined));
    return this.closed ? undefined : staged;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.tables.values()) {
      await (state.ended ?? state.chain);
      await finalize(state.statement);
    }
    const opened = await this.opened;
    if (!opened) return;
    for (const def of this.defs) await this.main.raw(`detach database "${this.attachedAs(def.name)}"`).catch(() => undefined);
    for (const { db, conn } of [opened.stage, opened.sorter]) {
      db.client.releaseConnection(conn);
      await db.destroy().catch(() => undefined);
    }
  }

  /**
   * The only use of the main connection until `close`: attaching the tables' files, outside any
   * transaction (ATTACH is refused inside one; the main knex runs it between them).
   */
  private async open(): Promise<Opened | undefined> {
    const connections: Connection[] = [];
    try {
      // 0600 like the spool's own files: the stage holds key and token hashes too.
      for (const file of [this.file, ...this.defs.map((def) => this.tableFile(def.name))]) await createPrivateFileIfMissing(file);
      const stage = await this.connect(STAGE_CACHE_KIB, connections);
      const sorter = await this.connect(SORT_CACHE_KIB, connections);
      for (const def of this.defs) await this.main.raw(`attach database ? as "${this.attachedAs(def.name)}"`, [this.tableFile(def.name)]);
      return { stage, sorter };
    } catch {
      for (const def of this.defs) await this.main.raw(`detach database "${this.attachedAs(def.name)}"`).catch(() => undefined);
      for (const { db, conn } of connections) {
        db.client.releaseConnection(conn); // destroy waits for connections still acquired
        await db.destroy().catch(() => undefined);
      }
      return undefined;
    }
  }

  /** A connection with every table's file attached, none of them journalled or synced. */
  private async connect(cacheKib: number, connections: Connection[]): Promise<Connection> {
    const db = knex({ client: 'sqlite3', connection: { filename: this.file }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
    const conn = (await db.client.acquireConnection()) as SqliteConnection;
    connections.push({ db, conn });
    // The main schema's cache also bounds what SQLite's sorter keeps in memory before it spills.
    await exec(conn, `pragma journal_mode = off; pragma synchronous = off; pragma foreign_keys = off; pragma cache_size = -${cacheKib}`);
    for (const def of this.defs) {
      const schema = fileSchema(def.name);
      await all(conn, `attach database ? as "${schema}"`, [this.tableFile(def.name)]);
      await exec(conn, `pragma "${schema}".journal_mode = off; pragma "${schema}".synchronous = off; pragma "${schema}".cache_size = -${cacheKib}`);
    }
    return { db, conn };
  }

  private tableFile(table: string): string {
    return `${this.file.replace(/\.db$/, '')}-${table}.db`;
  }

  private attachedAs(table: string): string {
    return `${this.schema}_${table}`;
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
    if (!this.defs.some((def) => def.name === name)) throw new Error(`the stage has no file for ${name}`);
    const into = `"${fileSchema(name)}"."${arrivalTable(name)}"`;
    await exec(opened.stage.conn, `CREATE TABLE ${into} (${state.def.columns.map((c) => `"${c.name}"`).join(', ')})`);
    state.statement = await prepare(opened.stage.conn, linesInsertSql(state.def, into));
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
export function linesInsertSql(def: TableDef, into = `"${def.name}"`): string {
  const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
  const values = def.columns.map((_, i) => `value->>${i}`).join(', ');
  // Bound as bytes (a blob), read as text by SQLite itself: no UTF-8 decoding here and encoding again in the driver.
  return `INSERT INTO ${into} (${columns}) SELECT ${values} FROM json_each('[' || CAST(? AS TEXT) || ']')`;
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

/** The table a finished table's rows are sorted into by key, in the same file, when they arrived out of order. */
function sortedTable(table: string): string {
  return `${table}__sorted`;
}

/** The schema name of a table's file on the stage's own connections. */
function fileSchema(table: string): string {
  return `file_${table}`;
}

/**
 * Whether the rows arrived in primary-key order (archives of a database this service restored):
 * one pass comparing each key with the next is cheaper than SQLite's sorter, which does not notice
 * sorted input. A repeated key counts as out of order; the commit's insert then reports it, as
 * loading the lines would.
 */
async function arrivedInKeyOrder(conn: SqliteConnection, schema: string, def: TableDef): Promise<boolean> {
  const arrived = `"${schema}"."${arrivalTable(def.name)}"`;
  const key = `"${def.primaryKey}"`;
  const [order] = await all(conn, `select exists (select 1 from ${arrived} a join ${arrived} b on b.rowid = a.rowid + 1 where not (b.${key} > a.${key})) as scattered`);
  return !order.scattered;
}

/**
 * The arrived rows copied in key order into `sortedTable`, in the table's file. A million login
 * attempts (about 220 MB of rows) sort in 1.1-1.3 s here, which the commit's copy then saves.
 */
async function sortInFile(conn: SqliteConnection, def: TableDef): Promise<void> {
  const schema = fileSchema(def.name);
  const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
  await exec(conn, `CREATE TABLE "${schema}"."${sortedTable(def.name)}" AS SELECT ${columns} FROM "${schema}"."${arrivalTable(def.name)}" ORDER BY "${def.primaryKey}"`);
}

/** Whole JSON lines → the same values separated by commas, in place (a newline never occurs inside a JSON line). */
export function commaSeparated(lines: Buffer): Buffer {
  const bytes = lines.subarray(0, lines.byteLength - 1);
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) bytes[at] = 0x2c;
  return bytes;
}
