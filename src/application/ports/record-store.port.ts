import type { Row, TableDef } from '../../domain/schema/column';
import type { AviaryTableName } from '../../domain/schema/aviary-schema';

/** Rows where `column` is one of `values` (e.g. user_id in a selection). */
export interface RowFilter {
  readonly column: string;
  readonly in: readonly string[];
}

/** A piece of a table file (see `RecordReader.tableJson`) and how many rows it completes. */
export interface TableJsonChunk {
  readonly bytes: Uint8Array;
  readonly rows: number;
}

export interface RecordReader {
  count(table: AviaryTableName, filter?: RowFilter): Promise<number>;
  /**
   * Every row of the table (or the filtered rows) in primary-key order, values normalised to the
   * archive's JSON types (docs/archive-format.md). Reads in batches; never holds the whole table.
   */
  stream(table: AviaryTableName, filter?: RowFilter): AsyncIterable<Row>;
  /**
   * The same rows as `stream`, in the pages the store reads them (a few MB each): per-row work
   * for millions of rows costs less without a promise per row. The order may be the store's own
   * when that reads faster (SQLite: rowid; PostgreSQL: heap blocks), but it is one order within a
   * snapshot. Optional for plugins; callers fall back to `stream` (see `rowPages`). Backups read
   * tables this way.
   */
  pages?(table: AviaryTableName, filter?: RowFilter): AsyncIterable<readonly Row[]>;
  /**
   * The table file of the rows of `pages`, in their order: exactly the bytes `tableJsonChunks`
   * (domain/archive/table-json) writes for them, in pieces, each with the rows it completes.
   * Optional, for stores that write it faster than rows are encoded one by one.
   */
  tableJson?(table: AviaryTableName, filter?: RowFilter): AsyncIterable<TableJsonChunk>;
}

export interface RecordWriter extends RecordReader {
  /**
   * Inserts rows given in archive form (absent columns take their defaults), reading `rows` once
   * and in order, so a stream of any length is written without being held. Returns how many.
   */
  insert(table: AviaryTableName, rows: Iterable<Row> | AsyncIterable<Row>): Promise<number>;
  /**
   * Inserts rows written ahead with the store's `lineEncoding`, as `insert` would insert the rows
   * they encode: `chunks` hold whole lines, in order, and are read once. Returns how many. Present
   * exactly when the store has a `lineEncoding`. With a `stage` the encoding opened, the store may
   * take the rows from the stage instead, when the stage holds the table whole (then `chunks` is
   * not read); the rows are the same either way.
   */
  loadLines?(table: AviaryTableName, chunks: AsyncIterable<Uint8Array>, stage?: LineStage): Promise<number>;
  /** Deletes matching rows (all rows without a filter); returns how many. */
  delete(table: AviaryTableName, filter?: RowFilter): Promise<number>;
}

/**
 * Rows as a store loads them in bulk with little work of its own (PostgreSQL: COPY text lines;
 * SQLite: JSON arrays its worker thread parses), so a restore can write each row once, while it
 * reads the archive, in the form its commit hands to `RecordWriter.loadLines` as it is.
 */
export interface RowLineEncoding {
  /** Whether the store can load this table from lines exactly as it inserts its rows. */
  encodes(def: TableDef): boolean;
  /**
   * One row with every column present and canonical (as `insert` leaves it after normalising) →
   * its line, ending in a newline. Throws what `insert` would for a value the store cannot hold.
   */
  line(def: TableDef, row: Row): string;
  /**
   * Optional: a scratch copy the store builds from the same lines while the archive is still being
   * read (in a file of its own at `file`, or in scratch tables), so the commit has less left to do. Only an accelerator:
   * anything the stage cannot do, or does wrong, leaves the commit to load the lines as usual.
   * `tables`: the tables whose lines it will be given (others it may refuse).
   */
  openStage?(file: string, tables: readonly TableDef[]): LineStage;
  /**
   * Optional: removes what stages of runs that ended without closing them (a crash) left in the
   * store itself; called under the global lock, when no restore runs. Returns how many were removed.
   */
  sweepStages?(): Promise<number>;
}

/** See `RowLineEncoding.openStage`. Never throws: a failure only makes the stage unused. */
export interface LineStage {
  /** Whole lines of `table`, in order, as they are spooled; resolves when the stage can take more. */
  add(def: TableDef, lines: Uint8Array): Promise<void>;
  /** No more lines for `table`: the stage finishes it (indexes…) while the restore goes on. */
  end(table: string): void;
  /** Waits for the stage's work and releases it; its file goes with the caller's folder. */
  close(): Promise<void>;
}

/** The Aviary tables, as seen by backup, validation and restore. */
export interface RecordStore {
  /** `sqlite`, `postgres` or a plugin's kind; goes into an archive's `database_type`. */
  readonly kind: string;
  /** Optional (plugins may leave it out): the store's own line form for `RecordWriter.loadLines`. */
  readonly lineEncoding?: RowLineEncoding;
  /** Runs `work` against one consistent snapshot of the database. */
  readSnapshot<T>(work: (reader: RecordReader) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws. With a
   * `commitMarker` (a UUID), a marker row is written in the same transaction, so a later
   * `hasCommitMarker` tells exactly whether the transaction committed (crash recovery).
   */
  writeTransaction<T>(work: (writer: RecordWriter) => Promise<T>, options?: { commitMarker?: string }): Promise<T>;
  hasCommitMarker(marker: string): Promise<boolean>;
  /** Removes a marker once the work it guards is fully finished. */
  clearCommitMarker(marker: string): Promise<void>;
}
