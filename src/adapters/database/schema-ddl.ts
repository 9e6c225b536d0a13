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
  const statements = [`create table if not exists ${q(table.name)} (\n  ${lines.join(',\n  ')}\n)${tableOptions(dialect)}`];
  for (const col of table.columns) {
    if (col.unique) statements.push(indexSql(table, [col.name], true, dialect));
    else if (col.index) statements.push(indexSql(table, [col.name], false, dialect));
  }
  for (const columns of table.uniques) statements.push(indexSql(table, columns, true, dialect));
  return statements;
}

/**
 * What follows `create table (…)`. MySQL family: 4-byte UTF-8, compared byte by byte as SQLite and
 * PostgreSQL's "C" do, so unique names, key order and keyset pages agree on every engine.
 */
export function tableOptions(dialect: Dialect): string {
  return dialect === 'mysql' ? ' default character set utf8mb4 collate utf8mb4_bin' : '';
}

export function sqlType(col: Pick<ColumnDef, 'type' | 'length'>, dialect: Dialect): string {
  const pg = dialect === 'postgres';
  const my = dialect === 'mysql';
  switch (col.type) {
    case 'uuid':
      return pg ? 'uuid' : my ? 'char(36)' : 'text';
    case 'bool':
      return pg ? 'boolean' : my ? 'tinyint(1)' : 'integer';
    case 'time':
      // SQLite keeps the canonical RFC 3339 text, so nothing below microseconds is lost there;
      // DATETIME holds UTC (the engine's session time zone), to the microsecond as timestamptz does.
      return pg ? 'timestamptz(6)' : my ? 'datetime(6)' : 'text';
    case 'int':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'float':
      return my ? 'double' : 'double precision';
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
    if (dialect === 'mysql') return 'current_timestamp(6)';
    return dialect === 'postgres' ? 'current_timestamp' : `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
  }
  if (typeof value === 'boolean') return dialect === 'postgres' ? String(value) : value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

/** Characters of a text column a MySQL-family index covers (utf8mb4: 4 bytes each, 3072 at most). */
const MYSQL_TEXT_INDEX_PREFIX = 255;

function indexSql(table: TableDef, columns: readonly string[], unique: boolean, dialect: Dialect): string {
  const name = `idx_${table.name}_${columns.join('_')}`;
  const kind = unique ? 'unique index' : 'index';
  // MySQL indexes a TEXT column only by a prefix; a unique key longer than the engine's limit
  // becomes MariaDB's hash-based long unique key, which needs the whole column.
  const part = (column: string) =>
    dialect === 'mysql' && !unique && table.columns.find((c) => c.name === column)?.type === 'text'
      ? `${q(column)}(${MYSQL_TEXT_INDEX_PREFIX})`
      : q(column);
  return `create ${kind} if not exists ${q(name)} on ${q(table.name)} (${columns.map(part).join(', ')})`;
}

function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
