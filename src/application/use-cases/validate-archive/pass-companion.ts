import type { Row, TableDef } from '../../../domain/schema/column';
import type { ArchiveEntry } from '../../ports/archive-reader.port';

/**
 * Work that rides along the validation pass, so an archive is read once (a restore stages its
 * documents and spools its rows while the archive is checked). The companion sees what validation
 * has parsed anyway; it never decides validity, and its failures are not findings about the archive:
 * they end the pass and reach the caller as they are.
 */
export interface PassCompanion {
  /** metadata.json has been read (ours carries whether files and pairing configurations were included). */
  metadata(facts: MetadataFacts): void;
  /**
   * Each row of a known table once validation has checked it, in canonical form: every column of
   * the table, each value coerced to its type, absent ones defaulted, unknown ones dropped (values
   * validation refused are the column's default: the archive is invalid anyway). Awaited before
   * the next row is read.
   */
  row(table: TableDef, row: Row): Promise<void>;
  /** A known table file begins (also when it holds no rows). */
  tableStarts(table: TableDef): void;
  /**
   * A known table file was read to its end and every row of it handed over (not called when the
   * file failed): work on the whole table can start while later entries are read.
   */
  tableEnds?(table: TableDef): Promise<void>;
  /** A document or legacy configuration entry, its body unread; awaited before the next entry. */
  file(entry: ArchiveEntry): Promise<void>;
}

export interface MetadataFacts {
  readonly includeFiles?: boolean;
  readonly includeConfigs?: boolean;
  readonly totalDocuments?: number;
}

/** A companion's own failure, carried through the pass so it is not taken for the archive's fault. */
export class CompanionFailure extends Error {
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

/** Runs a companion step, marking whatever it throws as the companion's. */
export async function asCompanion<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw error instanceof CompanionFailure ? error : new CompanionFailure(error);
  }
}
