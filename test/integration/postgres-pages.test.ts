import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { postgresPlugin } from '../../src/plugins/builtin/postgres.plugin';
import { createFromRegistry } from '../contract/record-store.contract';
import { createTestDatabase, pgConnection, requirePostgres } from '../support/postgres';

/**
 * A backup reads PostgreSQL tables by heap block (TID ranges), in the order the rows lie, not by
 * primary key: the same rows as `stream`, each once, as the snapshot saw them.
 */
describe('PostgreSQL pages in heap order', function () {
  this.timeout(60_000);
  let database: { name: string; drop: () => Promise<void> };
  let db: MikroOrmDatabase;
  let client: Client;

  before(async function () {
    await requirePostgres(this);
  });

  beforeEach(async () => {
    database = await createTestDatabase();
    const { host, port, user, password } = pgConnection();
    const created = await createFromRegistry(postgresPlugin, 'postgres', {
      DB_HOST: host, DB_PORT: String(port), DB_USER: user, DB_PASSWORD: password, DB_NAME: database.name, DB_SSLMODE: 'disable',
    }, '/data');
    assert.ok(created instanceof MikroOrmDatabase);
    db = created;
    await db.migrate();
    client = new Client({ host, port, user, password, database: database.name });
    await client.connect();
  });

  afterEach(async () => {
    await client?.end();
    await db?.close();
    await database?.drop();
  });

  it('lists rows in the order they lie, each once, over several pages; stream keeps key order; a snapshot misses later writes', async () => {
    const ids = Array.from({ length: 6_000 }, () => randomUUID());
    // Rows wide enough for hundreds of heap blocks, written in random key order.
    await client.query(
      `insert into login_attempts (id, ip_address, username, attempted_at, user_agent)
       select id::uuid, '198.51.100.1', 'u', now(), repeat('x', 400) from unnest($1::text[]) with ordinality as t(id, n) order by n`,
      [ids],
    );
    // An updated row moves to a new place in the heap: it must still come once.
    await client.query(`update login_attempts set username = 'moved' where id = $1`, [ids[10]]);
    const before = db.stats.streamBatches;
    const seen = await db.records.readSnapshot(async (reader) => {
      const pages: string[] = [];
      let first = true;
      for await (const page of reader.pages!('login_attempts')) {
        if (first) {
          // Written by another connection after the snapshot began: not part of it.
          await client.query(`insert into login_attempts (id, ip_address, attempted_at) values ($1, 'x', now())`, [randomUUID()]);
          first = false;
        }
        for (const row of page) pages.push(String(row.id));
      }
      const streamed: string[] = [];
      for await (const row of reader.stream('login_attempts')) streamed.push(String(row.id));
      return { pages, streamed };
    });
    assert.ok(db.stats.streamBatches - before > 5, 'read in several pages');
    assert.equal(seen.pages.length, ids.length);
    assert.deepEqual([...seen.pages].sort(), [...ids].sort(), 'every row once');
    const moved = ids.filter((id) => id !== ids[10]);
    assert.deepEqual(seen.pages.filter((id) => id !== ids[10]), moved, 'in the order they were written');
    assert.deepEqual(seen.streamed, [...ids].sort(), 'stream: primary-key order');
  });
});
