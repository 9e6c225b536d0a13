import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { useSqliteDatabase } from '../support/sqlite-database';
import { tableDef } from '../../src/domain/schema/aviary-schema';
import type { SqliteLineStage } from '../../src/adapters/database/sqlite-line-stage';

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

  const def = tableDef('login_attempts')!;
  const lineOf = (id: string, i: number) =>
    db.records.lineEncoding!.line(def, { id, ip_address: `198.51.100.${i % 250}`, username: `u${i}`, success: false, attempted_at: '2025-03-01T12:00:00Z', user_agent: '' });

  /** Stages the rows of `ids` and restores login_attempts from the stage; `lines` are what the commit may read. */
  async function restoreThroughStage(ids: string[], lines: AsyncIterable<Uint8Array> = unread(), check?: (stage: SqliteLineStage) => Promise<void>): Promise<number> {
    const stage = db.records.lineEncoding!.openStage!(join(dir, 'stage.db'), [def]) as SqliteLineStage;
    try {
      const all = ids.map(lineOf);
      for (let i = 0; i < all.length; i += 500) await stage.add(def, Buffer.from(all.slice(i, i + 500).join('')));
      stage.end('login_attempts');
      await check?.(stage);
      return await db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        return w.loadLines!('login_attempts', lines, stage);
      });
    } finally {
      await stage.close();
    }
  }

  async function* unread(): AsyncIterable<Uint8Array> {
    throw new Error('the lines were read although the stage held the table');
  }

  it('rows listed at random are sorted by the stage once the table ends, and copied into the table in key order', async () => {
    const ids = Array.from({ length: 5_000 }, () => randomUUID());
    const sortedByStage = async (stage: SqliteLineStage) => assert.deepEqual(await stage.taken('login_attempts'), { schema: `${stage.schema}_login_attempts`, table: 'login_attempts__sorted', rows: ids.length, ordered: true });
    assert.equal(await restoreThroughStage(ids, unread(), sortedByStage), ids.length);
    assert.deepEqual(await idsByRowid(), [...ids].sort());
  });

  it('a table the stage could not sort is loaded from its lines instead, every row of it', async () => {
    // The sort's table is already taken in the table's file: the sort fails.
    const blocker = new sqlite3.Database(join(dir, 'stage-login_attempts.db'));
    await new Promise<void>((resolve, reject) => blocker.exec('create table login_attempts__sorted (x)', (error) => (error ? reject(error) : resolve())));
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const ids = Array.from({ length: 3_000 }, () => randomUUID());
    let read = 0;
    async function* lines(): AsyncIterable<Uint8Array> {
      read++;
      yield Buffer.from(ids.map(lineOf).join(''));
    }
    const notStaged = async (stage: SqliteLineStage) => assert.equal(await stage.taken('login_attempts'), undefined);
    assert.equal(await restoreThroughStage(ids, lines(), notStaged), ids.length);
    assert.equal(read, 1, 'the lines were read');
    assert.deepEqual((await idsByRowid()).sort(), [...ids].sort());
  });

  it('the indexes dropped for the load are built again as declared and answer queries; the connection keeps its sorter settings', async () => {
    const indexSql = async () => (await db.knex.raw(`select name, sql from sqlite_master where type = 'index' and tbl_name = 'login_attempts' order by name`)) as { name: string; sql: string | null }[];
    const settings = async () => ({
      threads: (await db.knex.raw('pragma threads'))[0].threads,
      cacheSize: (await db.knex.raw('pragma cache_size'))[0].cache_size,
    });
    const declared = await indexSql();
    assert.ok(declared.filter((i) => i.sql !== null).length >= 3, 'login_attempts has its secondary indexes');
    const before = await settings();
    const ids = Array.from({ length: 4_000 }, () => randomUUID());
    assert.equal(await restoreThroughStage(ids), ids.length);
    assert.deepEqual(await indexSql(), declared);
    assert.deepEqual(await settings(), before);
    assert.deepEqual(await db.knex.raw('pragma integrity_check'), [{ integrity_check: 'ok' }]);
    // Answered from the rebuilt index: every row, each once.
    const byIp = (await db.knex.raw(`select count(*) as n from login_attempts indexed by idx_login_attempts_ip_address where ip_address >= ''`)) as { n: number }[];
    assert.equal(byIp[0].n, ids.length);
  });

  it('rows listed in key order are copied as they are (no sort needed), with the same result', async () => {
    const ids = Array.from({ length: 5_000 }, () => randomUUID()).sort();
    assert.equal(await restoreThroughStage(ids), ids.length);
    assert.deepEqual(await idsByRowid(), ids);
  });
});
