import type { ArchiveValue, Row, TableDef } from '../../domain/schema/column';
import { DomainError } from '../../domain/errors';
import { encodeValue } from './value-codec';

/**
 * PostgreSQL's COPY text format for canonical rows: one line per row, columns in the table
 * definition's order, tab-separated, `\N` for NULL. In a value only backslash, tab, newline and
 * carriage return need escaping; every other character (any Unicode) goes as it is. U+0000 cannot
 * be stored in PostgreSQL text at all, so it is refused here, as the server would refuse it in an
 * INSERT (archive validation already reports it, so a restore never gets this far with one).
 */
export function copyLine(def: TableDef, row: Row): string {
  let line = '';
  const columns = def.columns;
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i];
    if (i > 0) line += '\t';
    line += copyField(def, col.name, encodeValue(col, row[col.name] ?? null, 'postgres') as ArchiveValue, row);
  }
  return line + '\n';
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function copyField(def: TableDef, column: string, value: ArchiveValue, row: Row): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  if (value.includes('\u0000')) {
    throw new DomainError('integrity', 'invalid_value',
      `insert into ${def.name}: the database refused a value (${column} contains a NUL character, which PostgreSQL text cannot store)`,
      { table: def.name, column, primaryKey: row[def.primaryKey] ?? null });
  }
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : value;
}

/** `COPY "table" ("a", "b", …) FROM STDIN` in the text format the lines above are written in. */
export function copyStatement(def: TableDef): string {
  const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
  return `COPY "${def.name}" (${columns}) FROM STDIN`;
}
