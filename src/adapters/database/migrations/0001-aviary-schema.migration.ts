import { Migration } from '@mikro-orm/migrations';
import { AVIARY_TABLES } from '../../../domain/schema/aviary-schema';
import { createTableStatements } from '../schema-ddl';
import type { Dialect } from '../engine';
import { dialectOf } from './dialect-of';

const EXISTING_TABLES: Record<Dialect, string> = {
  sqlite: `select name from sqlite_master where type = 'table'`,
  postgres: `select table_name as name from information_schema.tables where table_schema = current_schema()`,
  mysql: `select table_name as name from information_schema.tables where table_schema = database()`,
};

/**
 * The seven Aviary tables, each created with its indexes only where it is missing. A table that
 * exists was created by Aviary (GORM) and stays exactly as Aviary made it: adding an index there
 * changes Aviary's schema and, for a unique one Aviary never enforced, can fail on its data.
 */
export class AviarySchemaMigration extends Migration {
  async up(): Promise<void> {
    const dialect = dialectOf(this.driver);
    const existing = new Set((await this.execute(EXISTING_TABLES[dialect])).map((row) => String(row.name)));
    for (const table of AVIARY_TABLES) {
      if (existing.has(table.name)) continue;
      for (const statement of createTableStatements(table, dialect)) this.addSql(statement);
    }
  }
}
