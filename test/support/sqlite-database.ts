import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { sqlitePlugin } from '../../src/plugins/builtin/sqlite.plugin';
import { createFromRegistry } from '../contract/record-store.contract';

/** A migrated SQLite database of the built-in plugin in a scratch folder, new for each test of the suite. */
export function useSqliteDatabase(prefix: string): { readonly dir: string; readonly db: MikroOrmDatabase; readonly path: string } {
  const current = { dir: '', db: undefined as MikroOrmDatabase | undefined };
  beforeEach(async () => {
    current.dir = await mkdtemp(join(tmpdir(), prefix));
    const created = await createFromRegistry(sqlitePlugin, 'sqlite', { DB_PATH: join(current.dir, 'aviary.db') }, current.dir);
    assert.ok(created instanceof MikroOrmDatabase);
    current.db = created;
    await created.migrate();
  });
  afterEach(async () => {
    await current.db?.close();
    current.db = undefined;
    await rm(current.dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return current.dir;
    },
    get db() {
      assert.ok(current.db, 'used outside a test');
      return current.db;
    },
    get path() {
      return join(current.dir, 'aviary.db');
    },
  };
}
