import type { ColumnDef } from '../../domain/schema/column';
import type { Dialect } from './engine';

/**
 * Column types and table options of the service's own tables (migrations 0002 on), per dialect.
 * Aviary's tables are created by 0001 from frozen statements, not from here.
 *
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
      // MySQL-family TEXT stops at 64 KiB; SQLite's and PostgreSQL's text have no such limit.
      return my ? 'longtext' : 'text';
  }
}
