import type { ColumnDef, TableDef } from '../../domain/schema/column';
import type { Dialect } from './engine';

/**
 * DDL generated from the domain TableDefs. Every statement is "if not exists" because operators
 * may point this service at a database Aviary (GORM) already created; index names follow GORM's
 * `idx_<table>_<column>` so an existing Aviary index is recognised instead of duplicated.
 */
export function createTableStatements(table: TableDef, dialect: Dialect): string[] {
  const lines = table.columns.map((col) => columnSql(table, col, dialect));
  for (const fk of table.foreignKeys) {
    const onDelete = fk.onDelete === 'cascade' ? ' on delete cascade' : '';
    lines.push(
      `constraint ${q(`fk_${table.name}_${fk.column}`)} foreign key (${q(fk.column)}) ` +
        `references ${q(fk.references)} (${q('id')})${onDelete}`,
    );
  }
  const statements = [`create table if not exists ${q(table.name)} (\n  ${lines.join(',\n  ')}\n)`];
  for (const col of table.columns) {
    if (col.unique) statements.push(indexSql(table.name, [col.name], true));
    else if (col.index) statements.push(indexSql(table.name, [col.name], false));
  }
  for (const columns of table.uniques) statements.push(indexSql(table.name, columns, true));
  return statements;
}

export function sqlType(col: ColumnDef, dialect: Dialect): string {
  const pg = dialect === 'postgres';
  switch (col.type) {
    case 'uuid':
      return pg ? 'uuid' : 'text';
    case 'bool':
      return pg ? 'boolean' : 'integer';
    case 'time':
      // SQLite keeps the canonical RFC 3339 text, so nothing below microseconds is lost there.
      return pg ? 'timestamptz(6)' : 'text';
    case 'int':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'float':
      return 'double precision';
    case 'string':
      return `varchar(${col.length ?? 255})`;
    case 'text':
      return 'text';
  }
}

function columnSql(table: TableDef, col: ColumnDef, dialect: Dialect): string {
  const parts = [q(col.name), sqlType(col, dialect)];
  if (!col.nullable) parts.push('not null');
  if (col.name === table.primaryKey) parts.push('primary key');
  const def = defaultSql(col, dialect);
  if (def !== undefined) parts.push(`default ${def}`);
  return parts.join(' ');
}

/** Database-side defaults, for writers other than this service (inserts here fill every column). */
function defaultSql(col: ColumnDef, dialect: Dialect): string | undefined {
  const value = col.default;
  if (value === undefined || value === null) return undefined;
  if (value === 'now') {
    return dialect === 'postgres' ? 'current_timestamp' : `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
  }
  if (typeof value === 'boolean') return dialect === 'postgres' ? String(value) : value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

function indexSql(table: string, columns: readonly string[], unique: boolean): string {
  const name = `idx_${table}_${columns.join('_')}`;
  const kind = unique ? 'unique index' : 'index';
  return `create ${kind} if not exists ${q(name)} on ${q(table)} (${columns.map(q).join(', ')})`;
}

function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
