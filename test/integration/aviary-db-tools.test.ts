import assert from 'node:assert/strict';
import { compareAviaryDatabases, readAs } from '../../scripts/aviary-db/compare';
import { openKnex } from '../../scripts/aviary-db/connection';
import { countsForScale, FULL_SCALE } from '../../scripts/aviary-db/generate';
import { gormAviaryDdl, gormModel } from '../../scripts/aviary-db/gorm-schema';
import { parseRowCount } from '../../scripts/seed-aviary-db';
import { createGormDatabase, type GormDatabase } from '../support/gorm-aviary-db';

/** The fixture, the generator and the comparer the Aviary-database tests and benchmarks rely on. */
describe('Aviary database tools (GORM DDL, generator, comparer)', () => {
  it('renders GORM\'s DDL per engine: SQLite types and backticks, PostgreSQL types, GORM\'s index and key names', () => {
    const sqlite = gormAviaryDdl('sqlite', 'fresh');
    const users = sqlite.tables.find((s) => s.startsWith('CREATE TABLE `users`'))!;
    assert.match(users, /`id` uuid,/);
    assert.match(users, /`is_admin` numeric DEFAULT false/);
    assert.match(users, /`page_dpi` real,/);
    assert.match(users, /`created_at` datetime,/);
    assert.match(users, /`username` text NOT NULL,/);
    assert.match(users, /PRIMARY KEY \(`id`\)/);
    assert.ok(sqlite.indexes.includes('CREATE UNIQUE INDEX `idx_users_username` ON `users`(`username`)'));
    const pg = gormAviaryDdl('postgres', 'fresh');
    const docs = pg.tables.find((s) => s.startsWith('CREATE TABLE "documents"'))!;
    assert.match(docs, /"local_path" varchar\(1000\),/);
    assert.match(docs, /"file_size" bigint,/);
    assert.match(docs, /"upload_date" timestamptz DEFAULT CURRENT_TIMESTAMP/);
    assert.match(docs, /CONSTRAINT "fk_users_documents" FOREIGN KEY \("user_id"\) REFERENCES "users"\("id"\) ON DELETE CASCADE/);
    assert.match(pg.tables.find((s) => s.startsWith('CREATE TABLE "users"'))!, /"page_dpi" decimal,/);
    const upgraded = gormAviaryDdl('postgres', 'upgraded').tables;
    assert.ok(upgraded.includes('ALTER TABLE "users" ADD "rmapi_config" text'));
    assert.match(upgraded[0], /"email_verified" boolean DEFAULT false/);
  });

  it('scales counts in a large install\'s proportions; 1.59M is that install', () => {
    assert.equal(parseRowCount('1.59M'), 1_590_000);
    assert.equal(parseRowCount('300K'), 300_000);
    assert.deepEqual(countsForScale(1_590_000), FULL_SCALE);
    const small = countsForScale(400);
    const total = Object.values(small).reduce((a, b) => a + b, 0) + 10;
    assert.ok(Math.abs(total - 400) <= 6, `${total} rows`);
  });

  it('reads values as Aviary\'s Go fields do: NULL as the zero value, pointers keep NULL, not-null refuses it', () => {
    const users = gormModel('users');
    const field = (name: string) => users.fields.find((f) => f.column === name)!;
    assert.deepEqual(readAs('users', field('rmapi_config'), null), { ok: true, value: '' });
    assert.deepEqual(readAs('users', field('page_dpi'), null), { ok: true, value: 0 });
    assert.deepEqual(readAs('users', field('pdf_background_removal'), null), { ok: true, value: null });
    assert.deepEqual(readAs('users', field('reset_token_expires'), '0001-01-01 00:00:00+00:00'), { ok: true, value: null });
    assert.equal(readAs('users', field('password'), null).ok, false);
    assert.deepEqual(
      readAs('users', field('created_at'), '2025-08-01 10:30:00.123456789-06:00'),
      readAs('users', field('created_at'), '2025-08-01T16:30:00.123456Z'),
    );
  });

  describe('comparer on a generated SQLite install', () => {
    let a: GormDatabase;
    let b: GormDatabase;
    before(async () => {
      const now = new Date();
      a = await createGormDatabase('sqlite', { seed: 'same', now });
      b = await createGormDatabase('sqlite', { seed: 'same', now });
      // Generated in the database, so random parts (tokens, unknown hashes, bcrypt salts) differ:
      // make b a copy of a through the rows that differ.
      const from = openKnex(a.target);
      const to = openKnex(b.target);
      try {
        for (const table of ['users', 'api_keys']) {
          await to(table).delete();
          for (const row of (await from(table).select()) as Record<string, unknown>[]) await to(table).insert(row);
        }
      } finally {
        await from.destroy();
        await to.destroy();
      }
    });
    after(async () => {
      await a?.drop();
      await b?.drop();
    });

    const change = async (sql: string) => {
      const db = openKnex(b.target);
      try {
        await db.raw(sql);
      } finally {
        await db.destroy();
      }
    };

    it('finds two copies identical, also when NULLs became zero values and times another offset', async () => {
      assert.equal((await compareAviaryDatabases(a.target, b.target)).identical, true);
      await change(`update users set rmapi_config = '' where rmapi_config is null`);
      await change(`update documents set file_size = 0 where file_size is null`);
      await change(`update users set created_at = '2020-01-01T06:00:00.5Z' where id = (select min(id) from users)`);
      const db = openKnex(a.target);
      try {
        await db.raw(`update users set created_at = '2020-01-01 00:00:00.500000-06:00' where id = (select min(id) from users)`);
      } finally {
        await db.destroy();
      }
      assert.equal((await compareAviaryDatabases(a.target, b.target)).identical, true);
    });

    it('names the table, row and column of every difference, and rows missing on either side', async () => {
      await change(`update users set rmapi_config = 'changed' where username = 'user2'`);
      await change(`update documents set file_size = 1 where file_size = 0`);
      await change(`delete from login_attempts where id = (select min(id) from login_attempts)`);
      const report = await compareAviaryDatabases(a.target, b.target);
      assert.equal(report.identical, false);
      const users = report.tables.find((t) => t.table === 'users')!;
      assert.equal(users.different, 1);
      assert.equal(users.examples[0].column, 'rmapi_config');
      assert.equal(users.examples[0].b, 'changed');
      assert.ok(report.tables.find((t) => t.table === 'documents')!.different > 0);
      const attempts = report.tables.find((t) => t.table === 'login_attempts')!;
      assert.equal(attempts.onlyInA, 1);
      assert.equal(attempts.rowsB, attempts.rowsA - 1);
    });
  });
});
