import assert from 'node:assert/strict';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { RecordReader } from '../../src/application/ports/record-store.port';
import type { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { useSqliteDatabase } from '../support/sqlite-database';
import { tableJsonChunks } from '../../src/domain/archive/table-json';
import { AVIARY_TABLES, type AviaryTableName } from '../../src/domain/schema/aviary-schema';
import { sqliteFeatures, sqliteJsonLine } from '../../src/adapters/database/sqlite-json-lines';
import { canonicalValue, NOT_CANONICAL } from '../../src/domain/schema/values';
import type { TableDef } from '../../src/domain/schema/column';

/**
 * SQLite writes the backup's table files itself (sqlite-json-lines): for every value it takes on,
 * the bytes must be those of the row path (driver rows, decodeRowInPlace, tableJsonChunks), and a
 * value it does not take on must send its page through the row path, not into the file.
 */

/** Times SQLite converts itself: offsets that cross days, months, years and a leap day; fractions. */
const COVERED_TIMES = [
  '2026-02-28 23:30:00.5-06:00', '2024-02-28 22:00:00-03:00', '2023-02-28 22:00:00-03:00', '2026-01-31 23:00:00-02:00',
  '2025-12-31 23:00:00.000000-01:00', '2026-01-01 00:30:00+01:00', '2000-03-01 00:30:00+01:00', '1999-03-01 00:30:00+14:00',
  '2026-06-30 12:00:00.123456789+05:30', '2026-06-30 12:00:00.100000+00:00', '2026-06-30 12:00:00-00:00', '2026-06-30T12:00:00Z',
  '2026-06-30T12:00:00.000Z', '2026-06-30T12:00:00.0102Z', '2024-02-29 12:00:00+00:00', '2026-04-30 23:59:59.999999999-00:30',
  '1000-01-01 00:00:00+00:00', '9998-12-31 23:59:59+00:00',
];
/** Times the row path reads and SQLite leaves to it. */
const OTHER_TIMES = [
  '2023-02-29 12:00:00+00:00', '2026-01-01 10:00:00+15:00', '2026-01-01 10:00:00 +02:00', '2026-01-01 10:00:00',
  '2026-01-01T10:00:00z', '0999-12-31 23:00:00+00:00', '2026-01-01 10:00:00+02', '2026-01-01T10:00:00.5+0200',
];
/** Text JSON escapes: control characters, quotes, backslashes, DEL, line separators, astral and combining characters. */
const COVERED_TEXT = [
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(''), '"quoted" \\ back\\slash /', '\u007f\u0080\u2028\u2029',
  'emoji 😀 and 用户 and e\u0301', '', ' ', 'a\u0000b',
];

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function run(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (error) => (error ? reject(error) : resolve())));
}

async function insertRaw(path: string, work: (db: sqlite3.Database) => Promise<void>): Promise<void> {
  const db = new sqlite3.Database(path);
  try {
    await run(db, 'begin');
    await work(db);
    await run(db, 'commit');
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

function firstDifference(actual: string, expected: string): string {
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  return `at byte ${i}: ${JSON.stringify(actual.slice(i - 60, i + 60))} instead of ${JSON.stringify(expected.slice(i - 60, i + 60))}`;
}

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('latin1');
}

async function storeBytes(reader: RecordReader, table: AviaryTableName): Promise<{ text: string; rows: number }> {
  const parts: Buffer[] = [];
  let rows = 0;
  for await (const chunk of reader.tableJson!(table)) {
    parts.push(Buffer.from(chunk.bytes));
    rows += chunk.rows;
  }
  return { text: Buffer.concat(parts).toString('latin1'), rows };
}

describe('SQLite table files written by SQLite', function () {
  this.timeout(60_000);
  const sqlite = useSqliteDatabase('aviary-sqlite-json-');
  let dir: string;
  let db: MikroOrmDatabase;
  beforeEach(() => {
    ({ dir, db } = sqlite);
  });

  /** Every table's file from the store and from the row path, compared byte for byte. */
  async function compareAll(): Promise<Map<string, number>> {
    const fromRows = new Map<string, number>();
    await db.records.readSnapshot(async (reader) => {
      for (const table of AVIARY_TABLES) {
        const name = table.name as AviaryTableName;
        const before = db.stats.jsonPagesFromRows ?? 0;
        const store = await storeBytes(reader, name);
        fromRows.set(name, (db.stats.jsonPagesFromRows ?? 0) - before);
        const expected = await bytesOf(tableJsonChunks(reader.pages!(name), table.columns));
        if (store.text !== expected) assert.fail(`${name}: the store's table file differs from the row path's ${firstDifference(store.text, expected)}`);
        assert.equal(store.rows, await reader.count(name), `${name}: rows counted`);
      }
    });
    return fromRows;
  }

  it('writes exactly the row path bytes for every value form it covers, without reading rows', async () => {
    await insertRaw(join(dir, 'aviary.db'), async (raw) => {
      // Aviary's own (GORM) table, whose columns take NULL where the service's would not.
      await run(raw, 'drop table login_attempts');
      await run(raw, 'create table `login_attempts` (`id` uuid,`ip_address` text NOT NULL,`username` text,`success` numeric DEFAULT false,' +
        '`attempted_at` datetime DEFAULT CURRENT_TIMESTAMP,`user_agent` text,PRIMARY KEY (`id`))');
      // Enough rows for several pages; every covered form in each column type.
      for (let i = 0; i < 5000; i++) {
        const time = COVERED_TIMES[i % COVERED_TIMES.length];
        const text = COVERED_TEXT[i % COVERED_TEXT.length];
        const success = i % 3 === 2 ? null : i % 2;
        const id = i % 7 === 0 ? uuid(i).toUpperCase() : uuid(i);
        await run(raw, 'insert into login_attempts (id, ip_address, username, success, attempted_at, user_agent) values (?, ?, ?, ?, ?, ?)',
          [id, `10.0.${i % 256}.1`, i % 5 === 0 ? null : `user${i}`, success, time, text]);
      }
      await run(raw, `insert into users (id, username, email, password, page_dpi, folder_depth_limit, last_login, reset_token_expires, pdf_background_removal, is_admin)
        values (?, 'a', 'a@x', 'p', 300, 9007199254740991, '0001-01-01 00:00:00+00:00', null, null, 1)`, [uuid(1)]);
      await run(raw, `insert into users (id, username, email, password, page_dpi, folder_depth_limit, last_login, created_at, updated_at, is_active)
        values (?, '${'😀'.repeat(255)}', 'b@x', 'p', -0.0, -42, '2026-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '2026-01-01 01:00:00+01:00', 0)`, [uuid(2)]);
    });
    const fromRows = await compareAll();
    for (const [table, pages] of fromRows) assert.equal(pages, 0, `${table}: no page needed the row path`);
  });

  it('sends a page with a value it does not cover through the row path, with the same bytes', async () => {
    const path = join(dir, 'aviary.db');
    await insertRaw(path, async (raw) => {
      for (let i = 0; i < 3000; i++) {
        await run(raw, 'insert into login_attempts (id, ip_address, attempted_at, success) values (?, ?, ?, ?)', [uuid(i), '10.0.0.1', '2026-01-01 10:00:00+00:00', 1]);
      }
    });
    const odd = uuid(10_000);
    // One uncovered value at a time, so that each must send its page through rows by itself.
    const cases: [string, string][] = [
      ...OTHER_TIMES.map((time): [string, string] => [`attempted_at ${time}`, `insert into login_attempts (id, ip_address, attempted_at) values ('${odd}', 'x', '${time}')`]),
      ['text that is not UTF-8', `insert into login_attempts (id, ip_address, attempted_at, user_agent) values ('${odd}', 'x', '2026-01-01T00:00:00Z', cast(x'c328ff' as text))`],
      ['a REAL with a fraction', `update users set page_dpi = 226.5`],
    ];
    await insertRaw(path, (raw) => run(raw, "insert into users (id, username, email, password) values (?, 'a', 'a@x', 'p')", [uuid(1)]));
    for (const [what, sql] of cases) {
      await insertRaw(path, (raw) => run(raw, sql));
      const fromRows = await compareAll();
      const table = what.startsWith('a REAL with') ? 'users' : 'login_attempts';
      assert.equal(fromRows.get(table), 1, `${what}: its page went through rows`);
      await insertRaw(path, async (raw) => {
        await run(raw, 'delete from login_attempts where id = ?', [odd]);
        await run(raw, 'update users set page_dpi = 0');
      });
    }
  });

  it('takes a UUID as the row path does, by GLOB and by unhex alike: near misses (dashes elsewhere, other characters) go to the rows', async () => {
    const def: TableDef = { ...AVIARY_TABLES.find((t) => t.name === 'login_attempts')!, columns: [AVIARY_TABLES.find((t) => t.name === 'login_attempts')!.columns.find((c) => c.name === 'id')!] };
    const valid = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const values = new Set([valid, valid.toUpperCase(), 'A' + valid.slice(1), '00-00-00-0000-4000-8000-000000000001', '0-000000-0000-4000-8000-000000000001',
      valid.slice(0, 34) + '--', '-' + valid.slice(1), valid.slice(0, 35) + 'g', ' ' + valid.slice(1), valid + '0', valid.slice(1), valid.replace(/-/g, '0')]);
    // Every single and double replacement of a character by a dash, a hex digit, a non-hex letter or a space.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 2000; i++) {
      const chars = [...valid];
      for (let k = 1 + random(2); k > 0; k--) chars[random(36)] = '-0aFgG Z'[random(8)];
      values.add(chars.join(''));
    }
    const db = new sqlite3.Database(':memory:');
    const [{ version }] = await new Promise<{ version: string }[]>((resolve, reject) => db.all('select sqlite_version() as version', (e, r) => (e ? reject(e) : resolve(r as { version: string }[]))));
    assert.ok(sqliteFeatures(version).unhex, `the bundled SQLite (${version}) has unhex, so this test covers both forms`);
    try {
      for (const features of [{ unhex: false }, { unhex: true }]) {
        const sql = sqliteJsonLine(def, features);
        for (const value of values) {
          const got = await new Promise<string | null>((resolve, reject) =>
            db.get(`select ${sql} as line from (select ? as "id")`, [value], (e, r) => (e ? reject(e) : resolve((r as { line: string | null }).line))));
          const canonical = canonicalValue(def.columns[0], value);
          const expected = canonical === NOT_CANONICAL ? null : `{"id":${JSON.stringify(canonical)}}`;
          assert.equal(got, expected, `${JSON.stringify(value)} with unhex ${features.unhex}`);
        }
      }
    } finally {
      await new Promise<void>((resolve) => db.close(() => resolve()));
    }
  });

  it('reads a backup in rowid order (the table b-tree itself), streams in primary-key order, and pages a WITHOUT ROWID table by its key', async () => {
    const path = join(dir, 'aviary.db');
    const count = 3000; // several pages
    const insertDescending = (raw: sqlite3.Database) => (async () => {
      for (let i = count; i > 0; i--) await run(raw, "insert into login_attempts (id, ip_address, attempted_at) values (?, 'x', '2026-01-01T00:00:00Z')", [uuid(i)]);
    })();
    await insertRaw(path, insertDescending);
    const descending = Array.from({ length: count }, (_, i) => uuid(count - i));
    const ascending = [...descending].reverse();
    const idsOf = async (rows: AsyncIterable<readonly Record<string, unknown>[]>) => {
      const ids: string[] = [];
      for await (const page of rows) for (const row of page) ids.push(String(row.id));
      return ids;
    };
    const orders = async () => db.records.readSnapshot(async (reader) => {
      const streamed: string[] = [];
      for await (const row of reader.stream('login_attempts')) streamed.push(String(row.id));
      const pages = await idsOf(reader.pages!('login_attempts'));
      const file = JSON.parse((await storeBytes(reader, 'login_attempts')).text) as { id: string }[];
      return { streamed, pages, file: file.map((row) => row.id) };
    });
    const rowid = await orders();
    assert.deepEqual(rowid.streamed, ascending, 'stream: primary-key order');
    assert.deepEqual(rowid.pages, descending, 'pages: the order the rows were written in');
    assert.deepEqual(rowid.file, descending, 'the table file: the order of pages');
    await compareAll();

    await insertRaw(path, async (raw) => {
      await run(raw, 'drop table login_attempts');
      await run(raw, 'create table `login_attempts` (`id` uuid,`ip_address` text NOT NULL,`username` text,`success` numeric DEFAULT false,' +
        '`attempted_at` datetime DEFAULT CURRENT_TIMESTAMP,`user_agent` text,PRIMARY KEY (`id`)) without rowid');
      await insertDescending(raw);
    });
    const keyed = await orders();
    assert.deepEqual(keyed, { streamed: ascending, pages: ascending, file: ascending }, 'WITHOUT ROWID: every read in primary-key order');
  });

  it('knows unhex from SQLite 3.41.0 on', () => {
    assert.deepEqual([sqliteFeatures('3.40.1'), sqliteFeatures('3.41.0'), sqliteFeatures('3.44.2'), sqliteFeatures('4.0.0')].map((f) => f.unhex), [false, true, true, true]);
  });

  it('refuses a value the row path refuses, with its error', async () => {
    await insertRaw(join(dir, 'aviary.db'), (raw) =>
      run(raw, "insert into login_attempts (id, ip_address, attempted_at) values (?, 'x', '2026-13-01 00:00:00+00:00')", [uuid(1)]));
    await db.records.readSnapshot(async (reader) => {
      await assert.rejects(storeBytes(reader, 'login_attempts'), /login_attempts\.attempted_at of row 00000000-0000-4000-8000-000000000001 cannot be read/);
    });
  });
});
