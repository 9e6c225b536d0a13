import { Migration } from '@mikro-orm/migrations';
import { AVIARY_TABLES } from '../../../domain/schema/aviary-schema';
import { createTableStatements } from '../schema-ddl';
import { dialectOf } from './dialect-of';

/** The seven Aviary tables, created only where missing (the database may come from Aviary). */
export class AviarySchemaMigration extends Migration {
  up(): void {
    const dialect = dialectOf(this.driver);
    for (const table of AVIARY_TABLES) {
      for (const statement of createTableStatements(table, dialect)) this.addSql(statement);
    }
  }
}
