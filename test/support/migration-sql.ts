import type { MigrationObject } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/knex';
import type { Migration } from '@mikro-orm/migrations';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { SqlitePlatform } from '@mikro-orm/sqlite';
import { join } from 'node:path';
import type { Dialect } from '../../src/adapters/database/engine';

export const SNAPSHOT_DIR = join(__dirname, '..', 'fixtures', 'migrations');
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

export function snapshotPath(name: string, dialect: Dialect): string {
  return join(SNAPSHOT_DIR, `${name}.${dialect}.sql`);
}

/**
 * The SQL a migration adds when it runs on an empty database of the given dialect: a driver that
 * only names its platform and answers every query with no rows (so 0001 sees no existing table).
 * Statements are joined by a blank line and each ends with ';', one file per migration and dialect.
 */
export async function renderMigration(entry: MigrationObject, dialect: Dialect): Promise<string> {
  const platform = dialect === 'sqlite' ? new SqlitePlatform() : new PostgreSqlPlatform();
  const driver = { getPlatform: () => platform, execute: async () => [] } as unknown as AbstractSqlDriver;
  const MigrationClass = entry.class as unknown as new (driver: AbstractSqlDriver, config: unknown) => Migration;
  const migration = new MigrationClass(driver, {});
  await migration.up();
  return migration.getQueries().map((sql) => `${String(sql).trim()};\n`).join('\n');
}
