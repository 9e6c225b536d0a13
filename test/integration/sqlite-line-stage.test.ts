import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { useSqliteDatabase } from '../support/sqlite-database';
import { tableDef } from '../../src/domain/schema/aviary-schema';

/**
 * The SQLite stage takes rows in whatever order an archive lists them (a SQLite database read in
 * rowid order lists UUID keys at random) and the commit copies them into the table in key order, so
 * the key's index is written in order and the restored table's rowids follow its key.
 */
describe('SQLite stage: rows in any order', function () {
  this.timeout(60_000);
  const sqlite = useSqliteDatabase('aviary-sqlite-stage-');
  let dir: string;
  let db: MikroOrmDatabase;
  beforeEach(() => {
    ({ dir, db } = sqlite);
  });

  async function idsByRowid(): Promise<string[]> {
    const raw = new sqlite3.Database(join(dir, 'aviary.db'), sqlite3.OPEN_READONLY);
    try {
      return await new Promise<string[]>((resolve, reject) =>
        raw.all('select id from login_attempts order by rowid', (error, rows) => (error ? reject(error) : resolve((rows as { id: string }[]).map((r) => r.id)))));
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  }

  async function restoreThroughStage(ids: string[]): Promise<number> {
    const encoding = db.records.lineEncoding!;
    const def = tableDef('login_attempts')!;
    const stage = encoding.openStage!(join(dir, 'stage.db'));
    try {
      const lines = ids.map((id, i) => encoding.line(def, { id, ip_address: `198.51.100.${i % 250}`, username: `u${i}`, success: false, attempted_at: '2025-03-01T12:00:00Z', user_agent: '' }));
      for (let i = 0; i < lines.length; i += 500) await stage.add(def, Buffer.from(lines.slice(i, i + 500).join('')));
      stage.end('login_attempts');
      async function* unread(): AsyncIterable<Uint8Array> {
        throw new Error('the lines were read although the stage held the table');
      }
      return await db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        return w.loadLines!('login_attempts', unread(), stage);
      });
    } finally {
      await stage.close();
    }
  }

  it('rows listed at random are copied into the table in key order', async () => {
    const ids = Array.from({ length: 5_000 }, () => randomUUID());
    assert.equal(await restoreThroughStage(ids), ids.length);
    assert.deepEqual(await idsByRowid(), [...ids].sort());
  });

  it('rows listed in key order are copied as they are (no sort needed), with the same result', async () => {
    const ids = Array.from({ length: 5_000 }, () => randomUUID()).sort();
    assert.equal(await restoreThroughStage(ids), ids.length);
    assert.deepEqual(await idsByRowid(), ids);
  });
});
