import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DatabaseBackend } from '../application/ports/database.port';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LineStage, RecordWriter, RowFilter, RowLineEncoding } from '../application/ports/record-store.port';
import { tableDef, type AviaryTableName } from '../domain/schema/aviary-schema';
import type { Row } from '../domain/schema/column';
import { coerceValue, columnDefault } from '../domain/schema/values';
import { isDomainError } from '../domain/errors';
import { mocha } from './mocha-globals';

async function collect(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

async function* streamOf(rows: Row[], failAfter?: number): AsyncIterable<Row> {
  for (let i = 0; i < rows.length; i++) {
    if (i === failAfter) throw new Error(`source failed after ${i} rows`);
    yield rows[i];
  }
}

const BCRYPT = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

/** Text that the COPY text format and SQL literals must carry unchanged. */
const AWKWARD = [
  'tab\there', 'line\nbreak', 'carriage\rreturn', 'crlf\r\n', 'back\\slash', '\\N', '\\.', 'ends with \\',
  '\\\\t literal', 'quote \' and "double"', 'unicode: Ærøskøbing 東京 🦜 \u2028 \u2029 \u00a0', ' ', '',
];

/** A row as a restore spools it: every column present and canonical. */
function canonical(table: AviaryTableName, row: Row): Row {
  const out: Row = {};
  for (const col of tableDef(table)!.columns) {
    const result = coerceValue(col, row[col.name] === undefined ? columnDefault(col) : row[col.name]);
    if (!result.ok) throw new Error(result.problem);
    out[col.name] = result.value;
  }
  return out;
}

/** The rows' lines in chunks of `perChunk` whole lines, as a spool hands them back; fails before chunk `failAt`. */
async function* lineChunks(encoding: RowLineEncoding, table: AviaryTableName, rows: Row[], perChunk: number, failAt?: number): AsyncIterable<Uint8Array> {
  const def = tableDef(table)!;
  for (let i = 0; i * perChunk < rows.length; i++) {
    if (i === failAt) throw new Error(`lines failed at chunk ${i}`);
    yield Buffer.from(rows.slice(i * perChunk, (i + 1) * perChunk).map((row) => encoding.line(def, canonical(table, row))).join(''));
  }
}

function attempts(count: number, tag: string): Row[] {
  return Array.from({ length: count }, (_, i) => ({ id: randomUUID(), ip_address: `198.51.100.${i % 250}`, username: `${tag}-${i}` }));
}

/**
 * Streamed inserts (RecordWriter.insert with an async source): what a restore does with every
 * table. PostgreSQL writes them through COPY, SQLite through prepared multi-row statements; both
 * must store every value exactly and keep a failure all or nothing.
 */
/** Awaits a write that must fail as a `conflict` with `code`; `stored` names what must not have been kept. */
async function assertConflict(write: Promise<unknown>, code: string, stored: string): Promise<void> {
  const error = await write.then(() => assert.fail(`${stored} was stored`), (e: unknown) => e);
  assert.ok(isDomainError(error, 'conflict'), String(error));
  assert.equal(error.code, code);
}

/** 600 login attempts whose row 450 repeats the primary key of row 17. */
function attemptsWithRepeatedId(tag: string): Row[] {
  const rows = attempts(600, tag);
  rows[450] = { ...rows[450], id: rows[17].id };
  return rows;
}

/** A new user (not stored) and 300 of its documents, the last naming a user that does not exist. */
function documentsWithDanglingUser(tag: string): { user: Row; docs: Row[] } {
  const user: Row = { id: randomUUID(), username: `${tag}-${randomUUID()}`, email: `${randomUUID()}@example.org`, password: BCRYPT };
  const docs: Row[] = Array.from({ length: 300 }, (_, i) => ({ id: randomUUID(), user_id: user.id, document_name: `d${i}` }));
  docs[299] = { ...docs[299], user_id: randomUUID() };
  return { user, docs };
}

export function bulkInsertContract(current: () => { db: DatabaseBackend; timeFractionDigits: 6 | 9 }): void {
  const { describe, it, before } = mocha();
  describe('streamed inserts', () => {
    let db: DatabaseBackend;
    before(async () => {
      db = current().db;
      await db.migrate();
    });
    const read = (table: AviaryTableName, filter?: RowFilter) => db.records.readSnapshot((r) => collect(r.stream(table, filter)));

    it('stores awkward text, empty versus NULL, Go zero time, extreme numbers and large text exactly', async () => {
      const user: Row = {
        id: randomUUID(), username: `awk-${randomUUID()}`, email: `${randomUUID()}@example.org`, password: BCRYPT,
        rmapi_config: AWKWARD.join('\t|\n'), folder_exclusion_list: '', oidc_subject: null,
        pdf_background_removal: false, experimental_download_link: null, page_dpi: 0.1, is_admin: true, is_active: false,
        last_login: null, reset_token_expires: '0001-01-01T00:00:00Z',
      };
      const large = 'x\t\\\n'.repeat(300_000); // 1.2 MB with an escape every other character
      const docs: Row[] = AWKWARD.map((name, i) => ({
        id: randomUUID(), user_id: user.id, document_name: name, remote_path: [...name].reverse().join(''),
        file_size: i === 0 ? Number.MAX_SAFE_INTEGER : -i, upload_date: '0001-01-01T00:00:00Z',
      }));
      docs.push({ id: randomUUID(), user_id: user.id, document_name: large, upload_date: '2025-06-01T10:20:30.123456Z' });
      const counts = await db.records.writeTransaction(async (w) => [await w.insert('users', streamOf([user])), await w.insert('documents', streamOf(docs))]);
      assert.deepEqual(counts, [1, docs.length]);

      const [stored] = await read('users', { column: 'id', in: [String(user.id)] });
      for (const column of Object.keys(user)) {
        // A nullable time reads Go's zero time as NULL (docs/null-values.md).
        const want = column === 'reset_token_expires' ? null : user[column];
        assert.deepEqual(stored[column], want, `users.${column}`);
      }
      const got = new Map((await read('documents', { column: 'user_id', in: [String(user.id)] })).map((d) => [d.id, d]));
      for (const doc of docs) {
        const row = got.get(doc.id)!;
        assert.equal(row.document_name, doc.document_name, `document_name ${JSON.stringify(String(doc.document_name).slice(0, 20))}`);
        assert.equal(row.remote_path, doc.remote_path ?? '');
        assert.equal(row.upload_date, doc.upload_date);
        if (doc.file_size !== undefined) assert.equal(row.file_size, doc.file_size);
      }
    });

    for (const count of [0, 1, 199, 200, 201, 400, 1001]) {
      it(`writes ${count} streamed rows into an emptied table, every one exactly once`, async () => {
        const rows = attempts(count, `n${count}`);
        const written = await db.records.writeTransaction(async (w) => {
          await w.delete('login_attempts');
          return w.insert('login_attempts', streamOf(rows));
        });
        assert.equal(written, count);
        const stored = await read('login_attempts');
        assert.deepEqual(stored.map((r) => r.id).sort(), rows.map((r) => r.id).sort());
        assert.deepEqual(new Set(stored.map((r) => r.username)), new Set(rows.map((r) => r.username)));
      });
    }

    it('a source that fails half-way rolls back everything, the emptying of the table included', async () => {
      await db.records.writeTransaction((w) => w.insert('login_attempts', attempts(5, 'kept')));
      const before = (await read('login_attempts')).map((r) => r.id).sort();
      await assert.rejects(
        db.records.writeTransaction(async (w) => {
          await w.delete('login_attempts');
          await w.insert('login_attempts', streamOf(attempts(1000, 'lost'), 650));
        }),
        /source failed after 650 rows/,
      );
      assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), before);
    });

    it('a repeated primary key in the stream is a duplicate_row conflict and nothing is written', async () => {
      const before = (await read('login_attempts')).map((r) => r.id).sort();
      const rows = attemptsWithRepeatedId('dup');
      await assertConflict(db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        await w.insert('login_attempts', streamOf(rows));
      }), 'duplicate_row', 'a repeated primary key');
      assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), before);
    });

    it('a row naming a missing user is a reference_violation and nothing is written', async () => {
      const { user, docs } = documentsWithDanglingUser('ref');
      const documentsBefore = (await read('documents')).length;
      await assertConflict(db.records.writeTransaction(async (w) => {
        await w.insert('users', [user]);
        await w.delete('documents');
        await w.insert('documents', streamOf(docs));
      }), 'reference_violation', 'a dangling user_id');
      assert.equal((await read('documents')).length, documentsBefore);
      assert.deepEqual(await read('users', { column: 'id', in: [String(user.id)] }), []);
    });
  });

  linesContract(current);
  stageContract(current);
}

/**
 * Lines written ahead with the store's `lineEncoding` and loaded by `loadLines` (a restore's large
 * tables): the rows stored must be exactly those `insert` stores, and a failure all or nothing.
 */
function linesContract(current: () => { db: DatabaseBackend; timeFractionDigits: 6 | 9 }): void {
  const { describe, it: itWithLines, before } = mocha();
  describe('rows loaded from lines', function () {
    let db: DatabaseBackend;
    let encoding: RowLineEncoding | undefined;
    before(async function () {
      db = current().db;
      encoding = db.records.lineEncoding;
      await db.migrate();
    });
    /** Lines are optional for plugins: a store without a lineEncoding must then have no loadLines either. */
    const it = (title: string, body: () => Promise<void>) =>
      itWithLines(title, async () => {
        if (encoding) return body();
        await db.records.writeTransaction(async (w) => assert.equal(w.loadLines, undefined, 'loadLines without a lineEncoding'));
      });
    const read = (table: AviaryTableName, filter?: RowFilter) => db.records.readSnapshot((r) => collect(r.stream(table, filter)));
    const load = (w: RecordWriter, table: AviaryTableName, rows: Row[], perChunk = 100, failAt?: number) => {
      assert.ok(w.loadLines, 'a store with a lineEncoding loads lines');
      return w.loadLines(table, lineChunks(encoding!, table, rows, perChunk, failAt));
    };

    it('stores every value exactly as insert stores the same rows', async () => {
      const user: Row = { id: randomUUID(), username: `lines-${randomUUID()}`, email: `${randomUUID()}@example.org`, password: BCRYPT };
      const texts = [...AWKWARD, 'lone \ud800 surrogate', '\udc00\ud83e\udd9c reversed pair', 'x\t\\\n'.repeat(100_000)];
      const docs = (): Row[] => texts.map((name, i) => ({
        id: randomUUID(), user_id: user.id, document_name: name, local_path: i % 2 ? null : `local/${name}`, remote_path: [...name].reverse().join(''),
        file_size: i === 0 ? Number.MAX_SAFE_INTEGER : i === 1 ? -Number.MAX_SAFE_INTEGER : -i,
        upload_date: ['0001-01-01T00:00:00Z', '2025-06-01T10:20:30.123456789Z', '2025-06-01T10:20:30Z'][i % 3],
      }));
      const logins = (): Row[] => [true, false, null].map((success, i) => ({
        id: randomUUID(), ip_address: `2001:db8::${i}`, username: i === 2 ? null : `user-${i}`, success, attempted_at: '2024-02-29T23:59:59.000001Z', user_agent: texts[i + 10],
      }));
      const viaRows = { documents: docs(), login_attempts: logins() };
      const viaLines = { documents: docs(), login_attempts: logins() };
      await db.records.writeTransaction(async (w) => {
        await w.insert('users', [user]);
        for (const table of ['documents', 'login_attempts'] as const) {
          assert.equal(await w.insert(table, viaRows[table]), viaRows[table].length);
          assert.equal(await load(w, table, viaLines[table], 4), viaLines[table].length);
        }
      });
      for (const table of ['documents', 'login_attempts'] as const) {
        const stored = new Map((await read(table)).map((row) => [row.id, row]));
        viaRows[table].forEach((row, i) => {
          const { id: a, ...byRow } = stored.get(row.id)!;
          const { id: b, ...byLine } = stored.get(viaLines[table][i].id)!;
          assert.ok(a && b);
          assert.deepEqual(byLine, byRow, `${table} row ${i}`);
        });
      }
    });

    for (const count of [0, 1, 100, 1001]) {
      it(`loads ${count} rows into an emptied table, every one exactly once`, async () => {
        const rows = attempts(count, `lines${count}`);
        const written = await db.records.writeTransaction(async (w) => {
          await w.delete('login_attempts');
          return load(w, 'login_attempts', rows);
        });
        assert.equal(written, count);
        assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), rows.map((r) => r.id).sort());
      });
    }

    it('lines that fail half-way roll back everything, the emptying of the table included', async () => {
      const before = (await read('login_attempts')).map((r) => r.id).sort();
      await assert.rejects(
        db.records.writeTransaction(async (w) => {
          await w.delete('login_attempts');
          await load(w, 'login_attempts', attempts(1000, 'lost'), 100, 6);
        }),
        /lines failed at chunk 6/,
      );
      assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), before);
    });

    it('a repeated primary key is a duplicate_row conflict and nothing is written', async () => {
      const before = (await read('login_attempts')).map((r) => r.id).sort();
      const rows = attemptsWithRepeatedId('lines-dup');
      await assertConflict(db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        await load(w, 'login_attempts', rows);
      }), 'duplicate_row', 'a repeated primary key');
      assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), before);
    });

    it('a row naming a missing user is a reference_violation and nothing is written', async () => {
      const { user, docs } = documentsWithDanglingUser('lines-ref');
      const documentsBefore = (await read('documents')).length;
      await assertConflict(db.records.writeTransaction(async (w) => {
        await w.insert('users', [user]);
        await w.delete('documents');
        await load(w, 'documents', docs);
      }), 'reference_violation', 'a dangling user_id');
      assert.equal((await read('documents')).length, documentsBefore);
    });
  });
}

/** Lines that must not be read: the table is expected to come from the stage. */
async function* unread(table: string): AsyncIterable<Uint8Array> {
  throw new Error(`the lines of ${table} were read although the stage held the table`);
}

/**
 * A stage of the store's line encoding (`RowLineEncoding.openStage`, built while an archive is
 * read): a table it finished must reach the database exactly as its lines would, and anything it
 * could not take must leave the load to the lines, with their outcome.
 */
function stageContract(current: () => { db: DatabaseBackend; timeFractionDigits: 6 | 9 }): void {
  const { describe, it: itWithStage, before } = mocha();
  describe('rows loaded through a stage', function () {
    let db: DatabaseBackend;
    let encoding: RowLineEncoding | undefined;
    const open: { stage: LineStage; dir: string }[] = [];
    before(async function () {
      db = current().db;
      encoding = db.records.lineEncoding;
      await db.migrate();
    });
    const it = (title: string, body: () => Promise<void>) =>
      itWithStage(title, async () => {
        if (!encoding?.openStage) return;
        try {
          await body();
        } finally {
          for (const { stage, dir } of open.splice(0)) {
            await stage.close();
            await rm(dir, { recursive: true, force: true });
          }
        }
      });
    const read = (table: AviaryTableName) => db.records.readSnapshot((r) => collect(r.stream(table)));
    const staged = async (table: AviaryTableName, rows: Row[], perChunk = 100): Promise<LineStage> => {
      const dir = await mkdtemp(join(tmpdir(), 'aviary-stage-'));
      const stage = encoding!.openStage!(join(dir, 'stage.db'), [tableDef(table)!]);
      open.push({ stage, dir });
      for await (const chunk of lineChunks(encoding!, table, rows, perChunk)) await stage.add(tableDef(table)!, chunk);
      stage.end(table);
      return stage;
    };

    it('copies a finished table from the stage without reading the lines, as the lines store it', async () => {
      const user: Row = { id: randomUUID(), username: `stage-${randomUUID()}`, email: `${randomUUID()}@example.org`, password: BCRYPT };
      const docs: Row[] = [...AWKWARD, 'lone \ud800 surrogate'].map((name, i) => ({
        id: randomUUID(), user_id: user.id, document_name: name, local_path: i % 2 ? null : `local/${name}`, file_size: i === 0 ? Number.MAX_SAFE_INTEGER : -i,
        upload_date: ['0001-01-01T00:00:00Z', '2025-06-01T10:20:30.123456789Z', '2025-06-01T10:20:30Z'][i % 3],
      }));
      // Every time given: a default 'now' would differ between the two loads.
      const logins: Row[] = [...attempts(1500, 'stage').map((row) => ({ ...row, attempted_at: '2025-03-01T12:00:00Z' })), { id: randomUUID(), ip_address: '2001:db8::1', username: null, success: true, attempted_at: '2024-02-29T23:59:59.000001Z' }];
      await db.records.writeTransaction((w) => w.insert('users', [user]));
      const rows = { documents: docs, login_attempts: logins };
      // documents refers to users (each row's reference checked as it is copied); login_attempts refers to nothing.
      for (const table of ['documents', 'login_attempts'] as const) {
        const stage = await staged(table, rows[table], 7);
        const viaStage = await db.records.writeTransaction(async (w) => {
          await w.delete(table);
          return w.loadLines!(table, unread(table), stage);
        });
        assert.equal(viaStage, rows[table].length);
        const fromStage = await read(table);
        await db.records.writeTransaction(async (w) => {
          await w.delete(table);
          await w.loadLines!(table, lineChunks(encoding!, table, rows[table], 7));
        });
        assert.deepEqual(fromStage, await read(table), table);
      }
    });

    it('a repeated key in a staged table is a duplicate_row conflict and nothing is written', async () => {
      const before = (await read('login_attempts')).map((r) => r.id).sort();
      const rows = attemptsWithRepeatedId('stage-dup');
      const stage = await staged('login_attempts', rows);
      await assertConflict(db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        // PostgreSQL's stage gives the table up and the lines report it; SQLite's copy reports it itself.
        await w.loadLines!('login_attempts', lineChunks(encoding!, 'login_attempts', rows, 100), stage);
      }), 'duplicate_row', 'a repeated primary key');
      assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), before);
    });

    it('a dangling user in a staged table is a reference_violation and nothing is written', async () => {
      const { user, docs } = documentsWithDanglingUser('stage-ref');
      const documentsBefore = (await read('documents')).length;
      const stage = await staged('documents', docs);
      await assertConflict(db.records.writeTransaction(async (w) => {
        await w.insert('users', [user]);
        await w.delete('documents');
        await w.loadLines!('documents', unread('documents'), stage);
      }), 'reference_violation', 'a dangling user_id');
      assert.equal((await read('documents')).length, documentsBefore);
    });

    it('into a table that keeps rows, the lines are loaded and the stage is left alone', async () => {
      const kept = attempts(3, 'stage-kept');
      const added = attempts(50, 'stage-added');
      const stage = await staged('login_attempts', added);
      await db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        await w.insert('login_attempts', kept);
        assert.equal(await w.loadLines!('login_attempts', lineChunks(encoding!, 'login_attempts', added, 10), stage), added.length);
      });
      assert.deepEqual((await read('login_attempts')).map((r) => r.id).sort(), [...kept, ...added].map((r) => r.id).sort());
    });
  });
}
