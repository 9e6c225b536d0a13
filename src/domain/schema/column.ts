/**
 * The Aviary schema described as data. It is the single source for the database migrations,
 * the record stores' value normalisation and the archive validation.
 */
export type ColumnType = 'uuid' | 'string' | 'text' | 'int' | 'bigint' | 'float' | 'bool' | 'time';

export type ArchiveValue = string | number | boolean | null;
/** A row as it appears in an archive's table file: column name → JSON value. */
export type Row = Record<string, ArchiveValue>;

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /**
   * Aviary declares the field as a pointer (`*bool`, `*string`, `*time.Time`): NULL is a value of
   * its own and is kept.
   */
  readonly nullable?: boolean;
  /**
   * Aviary declares the column `not null` (or it is the primary key): a NULL read from a database
   * or an archive is an error. Every other non-nullable column reads NULL as Go's zero value of
   * its type, as Aviary itself does (see docs/null-values.md).
   */
  readonly notNull?: boolean;
  /** Value used when a row omits the column. `now` means the time of writing. */
  readonly default?: ArchiveValue | 'now';
  /** Max length for `string` columns. */
  readonly length?: number;
  readonly unique?: boolean;
  readonly index?: boolean;
}

export interface ForeignKeyDef {
  readonly column: string;
  readonly references: string;
  readonly onDelete: 'cascade' | 'no action';
}

export interface TableDef {
  readonly name: string;
  readonly primaryKey: string;
  readonly columns: readonly ColumnDef[];
  readonly foreignKeys: readonly ForeignKeyDef[];
  readonly uniques: readonly (readonly string[])[];
  /**
   * The `uniques` are this service's, not Aviary's: Aviary never enforced them (its unique index
   * may have failed to build), so archives and databases can repeat them. Such a repeat is a
   * warning, and a restore keeps the first row of each key. Only for caches Aviary rebuilds.
   */
  readonly repeatsDropped?: boolean;
  /** Column that ties a row to a user, for selective backup and restore. */
  readonly userColumn?: string;
}

export function column(name: string, type: ColumnType, extra: Omit<ColumnDef, 'name' | 'type'> = {}): ColumnDef {
  return { name, type, ...extra };
}
