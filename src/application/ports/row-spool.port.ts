import type { Row } from '../../domain/schema/column';

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
  rows(table: string): AsyncIterable<Row>;
  /** Deletes everything spooled. */
  dispose(): Promise<void>;
}

export interface RowSpoolFactory {
  create(runId: string): Promise<RowSpool>;
  /** Removes spools of runs that are not in `keep` (left by a crash). */
  sweep(keep: ReadonlySet<string>): Promise<number>;
}
