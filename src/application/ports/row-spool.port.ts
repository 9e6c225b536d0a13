import type { Row } from '../../domain/schema/column';
import type { LineStage, RowLineEncoding } from './record-store.port';

/**
 * Table rows parked on local disk between reading an archive and writing the database, so the
 * rows can be inserted parents first whatever order the archive holds them in (Aviary writes
 * tables alphabetically: users.json comes last) without holding them in memory.
 */
export interface RowSpool {
  append(table: string, row: Row): Promise<void>;
  /** Tables that received at least the call to `open` (an empty table file still counts). */
  tables(): string[];
  open(table: string): void;
  /** Whether the table's rows are kept as lines of the spool's encoding (read them with `lines`, not `rows`). */
  encoded(table: string): boolean;
  rows(table: string): AsyncIterable<Row>;
  /**
   * An encoded table's lines as they were written, in chunks of whole lines. A row the encoding
   * refused at `append` fails this instead (the archive's checks normally refuse such a row first).
   */
  lines(table: string): AsyncIterable<Uint8Array>;
  /** The stage of the spool's encoding (see `RowLineEncoding.openStage`), fed the encoded tables' lines. */
  readonly stage?: LineStage;
  /**
   * No more rows of `table`: its last lines are written and handed to the stage now, so the stage
   * finishes the table while later entries of the archive are read. `finish` ends the others.
   */
  end(table: string): Promise<void>;
  /** No more rows: every table's last lines are written (and handed to the stage). */
  finish(): Promise<void>;
  /** Deletes everything spooled. */
  dispose(): Promise<void>;
}

/** Tables whose rows a spool keeps in a store's line form rather than as rows. */
export interface SpoolEncoding {
  readonly encoding: RowLineEncoding;
  readonly tables: ReadonlySet<string>;
}

export interface RowSpoolFactory {
  create(runId: string, encoding?: SpoolEncoding): Promise<RowSpool>;
  /** Removes spools of runs that are not in `keep` (left by a crash). */
  sweep(keep: ReadonlySet<string>): Promise<number>;
}
