import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { MIGRATIONS } from '../../src/adapters/database/migrations/migration-list';
import { DIALECTS, renderMigration, SNAPSHOT_DIR, snapshotPath } from '../support/migration-sql';

// A shipped migration is frozen: what it renders today must equal what it rendered when it
// shipped. A new migration gets its snapshot from `npm run snapshot:migrations` (which never
// overwrites); changing a shipped one makes this test fail — write a new migration instead.
describe('migrations: shipped SQL is frozen', () => {
  for (const entry of MIGRATIONS) {
    for (const dialect of DIALECTS) {
      it(`${entry.name} renders its committed ${dialect} SQL`, async () => {
        const expected = readFileSync(snapshotPath(entry.name, dialect), 'utf8');
        assert.equal(await renderMigration(entry, dialect), expected);
      });
    }
  }

  it('every snapshot file belongs to a listed migration', () => {
    const known = new Set(MIGRATIONS.flatMap((m) => DIALECTS.map((d) => `${m.name}.${d}.sql`)));
    assert.deepEqual(readdirSync(SNAPSHOT_DIR).filter((file) => !known.has(file)), []);
  });

  it('0001 creates only the tables a database lacks', async () => {
    const sql = await renderMigration(MIGRATIONS[0], 'postgres');
    assert.match(sql, /create table if not exists "users"/);
    assert.match(sql, /create table if not exists "login_attempts"/);
  });
});
