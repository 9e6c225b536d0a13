import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { sqlitePlugin } from '../../src/plugins/builtin/sqlite.plugin';
import { PluginRegistry } from '../../src/plugins/registry';
import { createFromRegistry, recordStoreContract } from '../contract/record-store.contract';

recordStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-sqlite-'));
  const db = await createFromRegistry(sqlitePlugin, 'sqlite', { DB_PATH: join(dir, 'aviary.db') }, dir);
  assert.ok(db instanceof MikroOrmDatabase);
  return {
    db,
    timeFractionDigits: 9, // times are stored as canonical RFC 3339 text, every digit kept
    streamBatches: () => db.stats.streamBatches,
    cleanup: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite plugin', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-sqlite-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('defaults DB_PATH to ${DATA_DIR}/aviary.db', () => {
    const resolved = new PluginRegistry().use(sqlitePlugin).resolveDatabase('sqlite', {}, dir);
    assert.ok(resolved.ok);
    assert.deepEqual(resolved.backend.options, { path: join(dir, 'aviary.db') });
  });

  it('creates a missing parent directory and runs in WAL mode', async () => {
    const path = join(dir, 'nested', 'deeper', 'aviary.db');
    const db = await createFromRegistry(sqlitePlugin, 'sqlite', { DB_PATH: path }, dir);
    try {
      await db.migrate();
      assert.ok(existsSync(path));
      assert.ok(existsSync(`${path}-wal`), 'a WAL file exists while the database is open');
    } finally {
      await db.close();
    }
  });
});
