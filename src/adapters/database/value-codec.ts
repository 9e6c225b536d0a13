import type { ArchiveValue, ColumnDef, Row, TableDef } from '../../domain/schema/column';
import { canonicalValue, coerceValue, columnDefault, NOT_CANONICAL } from '../../domain/schema/values';
import { DomainError, InvalidInputError } from '../../domain/errors';
import type { Dialect } from './engine';

/**
 * Database values ⇄ canonical archive values. Both engines decode through `canonicalValue`, so a
 * row streamed from SQLite and the same row streamed from PostgreSQL are deep-equal.
 */

/** A row as the driver returned it → archive form. A value that cannot be read is an integrity error. */
export function decodeRow(table: TableDef, raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const col of table.columns) {
    const value = canonicalValue(col, raw[col.name]);
    if (value === NOT_CANONICAL) throw unreadable(table, col, raw);
    row[col.name] = value;
  }
  return row;
}

/**
 * `decodeRow` for a row the driver returned that nothing else holds: its values are replaced in
 * place (one object fewer per row on the backup path, where millions pass).
 */
export function decodeRowInPlace(table: TableDef, raw: Record<string, unknown>): Row {
  for (const col of table.columns) {
    const value = canonicalValue(col, raw[col.name]);
    if (value === NOT_CANONICAL) throw unreadable(table, col, raw);
    raw[col.name] = value;
  }
  return raw as Row;
}

function unreadable(table: TableDef, col: ColumnDef, raw: Record<string, unknown>): DomainError {
  const result = coerceValue(col, raw[col.name]);
  return new DomainError(
    'integrity',
    'database_value_invalid',
    `${table.name}.${col.name} of row ${String(raw[table.primaryKey])} cannot be read: ${result.ok ? 'unreadable' : result.problem}`,
    { table: table.name, column: col.name, primaryKey: raw[table.primaryKey] },
  );
}

/** An archive row → every column present and canonical; absent columns take their defaults. */
export function normaliseRow(table: TableDef, input: Row, now: Date): Row {
  const pk = input[table.primaryKey];
  const where = `${table.name} row ${pk === undefined ? '(no primary key)' : JSON.stringify(pk)}`;
  const known = columnNames(table);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      throw new InvalidInputError('unknown_column', `${where}: unknown column ${key}`, { table: table.name, column: key });
    }
  }
  const row: Row = {};
  for (const col of table.columns) {
    const given = Object.prototype.hasOwnProperty.call(input, col.name) ? input[col.name] : undefined;
    const result = coerceValue(col, given === undefined ? columnDefault(col, now) : given);
    if (!result.ok) {
      throw new InvalidInputError('invalid_value', `${where}: ${result.problem} (column ${col.name})`, {
        table: table.name,
        column: col.name,
        primaryKey: pk ?? null,
      });
    }
    row[col.name] = result.value;
  }
  return row;
}

const namesOf = new WeakMap<TableDef, ReadonlySet<string>>();

function columnNames(table: TableDef): ReadonlySet<string> {
  let names = namesOf.get(table);
  if (!names) namesOf.set(table, (names = new Set(table.columns.map((c) => c.name))));
  return names;
}

/** A canonical row → the values the engine stores. */
export function encodeRow(table: TableDef, row: Row, dialect: Dialect): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of table.columns) out[col.name] = encodeValue(col, row[col.name] ?? null, dialect);
  return out;
}

export function encodeValue(col: ColumnDef, value: ArchiveValue, dialect: Dialect): unknown {
  if (value === null) return null;
  if (col.type === 'bool' && dialect !== 'postgres') return value ? 1 : 0;
  // timestamptz and DATETIME(6) keep microseconds and would round the rest; truncating is predictable.
  if (col.type === 'time' && dialect !== 'sqlite') {
    const micro = String(value).replace(/(\.\d{6})\d+Z$/, '$1Z');
    // DATETIME takes no zone: the UTC wall time, read back as UTC (the engine's session time zone).
    return dialect === 'mysql' ? micro.replace('T', ' ').replace(/Z$/, '') : micro;
  }
  return value;
}
