/**
 * The conformance suite every database backend passes (built-in or a third party's plugin): the
 * RecordStore and AccountStore ports, schema creation and settings seeding. Run it with a setup
 * that returns a backend on an EMPTY database.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { RowFilter } from '../application/ports/record-store.port';
import { isDomainError } from '../domain/errors';
import type { Row } from '../domain/schema/column';
import {
  AVIARY_TABLE_NAMES, DEFAULT_SYSTEM_SETTINGS, type AviaryTableName,
} from '../domain/schema/aviary-schema';
import { canonicalTime } from '../domain/schema/values';
import type { AviaryPlugin, Env } from '../plugins/plugin-api';
import { PluginRegistry } from '../plugins/registry';
import { bulkInsertContract } from './bulk-insert.contract';
import { mocha } from './mocha-globals';

export interface ContractSubject {
  readonly db: DatabaseBackend;
  cleanup?(): Promise<void>;
  /** Fraction digits the engine keeps in times: 9 when it stores the text, 6 for timestamptz. */
  readonly timeFractionDigits: 6 | 9;
  /** Keyset pages read so far by streams, when the adapter exposes it. */
  streamBatches?(): number;
}

export const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Builds a backend the way the service does: registry → options from env → create. */
export async function createFromRegistry(plugin: AviaryPlugin, kind: string, env: Env, dataDir: string) {
  const resolved = new PluginRegistry().use(plugin).resolveDatabase(kind, env, dataDir);
  if (!resolved.ok) throw new Error(`options rejected: ${resolved.problems.join('; ')}`);
  const { definition, options } = resolved.backend;
  return definition.create(options, { dataDir, logger: quietLogger });
}

async function collect(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

const byKey = (key: string) => (a: Row, b: Row) => (String(a[key]) < String(b[key]) ? -1 : 1);

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const BCRYPT = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

/** A minimal valid user row; every other column takes its default. */
function plainUser(overrides: Row = {}): Row {
  const id = randomUUID();
  return { id, username: `u-${id}`, email: `${id}@example.org`, password: BCRYPT, ...overrides };
}

/**
 * Rows for all seven tables with EVERY column given, in archive form, and the canonical values
 * they must stream back as (hand-derived from the input, not from the code under test).
 */
function fullFixture(digits: 6 | 9) {
  const [u1, u2] = [randomUUID(), randomUUID()];
  const tag = u1.slice(0, 8);
  const users: Row[] = [
    {
      id: u1.toUpperCase(), username: `zoë-用户-${tag}`, email: `zoe+${tag}@example.org`, password: BCRYPT,
      is_admin: true, is_active: false, rmapi_host: 'https://rm.example.org', default_rmdir: '/Bücher',
      folder_refresh_percent: 42, coverpage_setting: 'first', contrast_setting: 'high',
      conflict_resolution: 'overwrite', folder_depth_limit: 3, folder_exclusion_list: 'Trash,Archive',
      page_resolution: '1404x1872', page_dpi: 226.5, conversion_output_format: 'pdf',
      rmapi_config: '[device]\ndevicetoken = a$b"c\'d\nusertoken = ✓ ü\n',
      pdf_background_removal: true, experimental_download_link: false, reset_token: 'reset-$-token',
      reset_token_expires: '2025-08-01T10:30:00.123456789-06:00', oidc_subject: `oidc|${tag}`,
      created_at: '2025-01-02T03:04:05.123456Z', updated_at: '2025-01-02T03:04:05Z',
      last_login: '2025-03-04T05:06:07.500Z',
    },
    {
      id: u2, username: `bob-${tag}`, email: `bob-${tag}@example.org`, password: '$2b$12$' + 'x'.repeat(53),
      is_admin: false, is_active: true, rmapi_host: '', default_rmdir: '/', folder_refresh_percent: 7,
      coverpage_setting: '', contrast_setting: 'none', conflict_resolution: 'abort', folder_depth_limit: 0,
      folder_exclusion_list: '', page_resolution: '', page_dpi: 0, conversion_output_format: 'epub',
      rmapi_config: '', pdf_background_removal: null, experimental_download_link: true, reset_token: '',
      reset_token_expires: null, oidc_subject: null, created_at: '2024-12-31T23:59:59.999999Z',
      updated_at: '2025-01-01T00:00:00.000001Z', last_login: null,
    },
  ];
  const apiKeys: Row[] = [
    {
      id: randomUUID(), user_id: u1, name: 'laptop ✓', key_hash: BCRYPT, key_prefix: 'aviary_012345678',
      is_active: false, last_used: '2025-02-01T00:00:00.654321Z', expires_at: '2026-01-01T00:00:00Z',
      created_at: '2025-01-05T10:00:00Z',
    },
    {
      id: randomUUID(), user_id: u2, name: '', key_hash: '$2a$10$' + 'k'.repeat(53), key_prefix: 'aviary_abcdefghi',
      is_active: true, last_used: null, expires_at: null, created_at: '2025-01-06T10:00:00.1Z',
    },
  ];
  const sessions: Row[] = [u1, u2].map((user, i) => ({
    id: randomUUID(), user_id: user, token_hash: `sha256$${i}$hash`, expires_at: '2025-09-01T12:00:00.25Z',
    created_at: '2025-08-01T12:00:00Z', last_used: '2025-08-02T12:00:00.123Z', user_agent: 'Mozilla/5.0 (X11) ✓',
    ip_address: i === 0 ? '2001:db8::1' : '192.0.2.10',
  }));
  const folders: Row[] = [u1, u2].map((user) => ({
    id: randomUUID(), user_id: user, folder_path: '/Bücher/Sci-Fi',
    folder_data: '{"folders":[{"name":"Bücher","path":"/Bücher"}],"count":1}', last_updated: '2025-07-07T07:07:07Z',
  }));
  const documents: Row[] = [u1, u2].map((user, i) => ({
    id: randomUUID(), user_id: user, document_name: `Vol..${i} — ドキュメント.pdf`,
    local_path: `users/${user}/pdfs/Vol..${i}.pdf`, remote_path: '/Books/', document_type: 'PDF',
    file_size: 5_000_000_123 + i, status: 'uploaded', upload_date: '2025-06-01T00:00:00.000123Z',
  }));
  const settings: Row[] = [
    { key: `custom_${tag}`, value: 'on', description: 'a custom setting', updated_at: '2025-05-05T05:05:05.5Z', updated_by: u1.toUpperCase() },
  ];
  const attempts: Row[] = [true, false].map((success) => ({
    id: randomUUID(), ip_address: '198.51.100.7', username: `zoë-${tag}`, success,
    attempted_at: '2025-04-04T04:04:04.040404Z', user_agent: 'curl/8.5',
  }));
  const input: Record<AviaryTableName, Row[]> = {
    users, api_keys: apiKeys, user_sessions: sessions, user_folders_cache: folders, documents,
    system_settings: settings, login_attempts: attempts,
  };
  // What must come back: UUIDs lowercase, times in UTC, trailing fraction zeros dropped, and
  // below-microsecond digits kept only where the engine stores the text (see timeFractionDigits).
  const expected = structuredClone(input);
  expected.users[0] = {
    ...expected.users[0], id: u1,
    reset_token_expires: digits === 9 ? '2025-08-01T16:30:00.123456789Z' : '2025-08-01T16:30:00.123456Z',
    last_login: '2025-03-04T05:06:07.5Z',
  };
  expected.api_keys[1].created_at = '2025-01-06T10:00:00.1Z';
  expected.system_settings[0].updated_by = u1;
  return { input, expected, u1, u2 };
}

const pkOf: Record<AviaryTableName, string> = {
  users: 'id', api_keys: 'id', user_sessions: 'id', user_folders_cache: 'id', documents: 'id',
  system_settings: 'key', login_attempts: 'id',
};

export function recordStoreContract(label: string, setup: () => Promise<ContractSubject>): void {
  const { describe, it, before, after } = mocha();
  describe(`database backend contract: ${label}`, function () {
    let subject: ContractSubject;
    let db: DatabaseBackend;

    const read = (table: AviaryTableName, filter?: RowFilter) =>
      db.records.readSnapshot((reader) => collect(reader.stream(table, filter)));
    const insert = (table: AviaryTableName, rows: Row[]) => db.records.writeTransaction((w) => w.insert(table, rows));

    before(async function () {
      subject = await setup();
      db = subject.db;
    });
    after(async () => subject?.cleanup?.());

    describe('migrate', () => {
      it('turns an empty database into the seven tables with the default settings', async () => {
        const { applied } = await db.migrate();
        assert.ok(applied.length >= 1, 'the first migrate applies the schema');
        const counts = await db.records.readSnapshot(async (reader) => {
          const n: number[] = [];
          for (const table of AVIARY_TABLE_NAMES) n.push(await reader.count(table));
          return n;
        });
        assert.deepEqual(counts, AVIARY_TABLE_NAMES.map((t) => (t === 'system_settings' ? DEFAULT_SYSTEM_SETTINGS.length : 0)));
        const settings = (await read('system_settings')).map((s) => ({ key: s.key, value: s.value, description: s.description }));
        assert.deepEqual(settings, [...DEFAULT_SYSTEM_SETTINGS].sort((a, b) => (a.key < b.key ? -1 : 1)));
      });

      it('applies nothing the second time, keeps changed values and re-seeds a missing setting', async () => {
        await db.accounts.setSetting('smtp_port', '2525');
        await db.records.writeTransaction((w) => w.delete('system_settings', { column: 'key', in: ['smtp_host'] }));
        const { applied } = await db.migrate();
        assert.deepEqual(applied, []);
        assert.equal(await db.accounts.getSetting('smtp_port'), '2525');
        assert.equal(await db.accounts.getSetting('smtp_host'), DEFAULT_SYSTEM_SETTINGS.find((s) => s.key === 'smtp_host')!.value);
      });
    });

    describe('records', () => {
      before(() => db.migrate());

      it('streams back every column of all seven tables exactly as canonical archive values', async () => {
        const { input, expected } = fullFixture(subject.timeFractionDigits);
        await db.records.writeTransaction(async (w) => {
          for (const table of AVIARY_TABLE_NAMES) await w.insert(table, input[table]);
        });
        for (const table of AVIARY_TABLE_NAMES) {
          const key = pkOf[table];
          const want = [...expected[table]].sort(byKey(key));
          const got = await read(table, { column: key, in: want.map((r) => String(r[key])) });
          assert.deepEqual(got, want, `table ${table}`);
        }
      });

      it('streams 2,600 rows complete, in primary-key order, in several pages', async function () {
        const user = plainUser();
        const docs: Row[] = Array.from({ length: 2600 }, (_, i) => ({
          id: randomUUID(), user_id: user.id, document_name: `doc ${i}.pdf`, file_size: 2 ** 33 + i,
        }));
        await db.records.writeTransaction(async (w) => {
          await w.insert('users', [user]);
          await w.insert('documents', docs);
        });
        const pagesBefore = subject.streamBatches?.() ?? 0;
        const got = await read('documents', { column: 'user_id', in: [String(user.id)] });
        assert.deepEqual(got.map((r) => r.id), docs.map((d) => d.id).sort());
        const sizeById = new Map(docs.map((d) => [d.id, d.file_size]));
        assert.ok(got.every((r) => r.file_size === sizeById.get(r.id) && r.status === 'uploaded'));
        if (subject.streamBatches) assert.ok(subject.streamBatches() - pagesBefore > 1, 'read in more than one page');

        const all = (await read('documents')).map((r) => String(r.id));
        assert.ok(all.every((id, i) => i === 0 || all[i - 1] < id), 'strictly ascending primary keys');
        assert.equal(all.filter((id) => sizeById.has(id)).length, docs.length);
      });

      it('filters by user_id, and an unknown filter column is refused', async () => {
        const { input, expected, u1 } = fullFixture(subject.timeFractionDigits);
        await db.records.writeTransaction(async (w) => {
          for (const table of ['users', 'documents', 'api_keys'] as const) await w.insert(table, input[table]);
        });
        assert.deepEqual(await read('documents', { column: 'user_id', in: [u1.toUpperCase()] }), expected.documents.filter((d) => d.user_id === u1));
        assert.deepEqual(await read('api_keys', { column: 'user_id', in: ['not-a-uuid'] }), []);
        await assert.rejects(read('documents', { column: 'nope', in: [u1] }), (e: unknown) => isDomainError(e, 'invalid'));
      });

      it('rolls a write transaction back when its work throws', async () => {
        const id = randomUUID();
        await assert.rejects(
          db.records.writeTransaction(async (w) => {
            await w.insert('login_attempts', [{ id, ip_address: '203.0.113.1' }]);
            assert.equal(await w.count('login_attempts', { column: 'id', in: [id] }), 1, 'visible inside');
            throw new Error('boom after insert');
          }),
          /boom after insert/,
        );
        assert.deepEqual(await read('login_attempts', { column: 'id', in: [id] }), []);
      });

      it('rejects a bad value naming table, column and row, and writes nothing of that transaction', async () => {
        const good = plainUser();
        const bad = plainUser({ folder_refresh_percent: 'lots' });
        const error = await db.records
          .writeTransaction(async (w) => {
            await w.insert('users', [good]);
            await w.insert('users', [bad]);
          })
          .then(() => assert.fail('insert accepted a string in an int column'), (e: unknown) => e);
        assert.ok(isDomainError(error, 'invalid'), String(error));
        assert.match(error.message, /users/);
        assert.match(error.message, /folder_refresh_percent/);
        assert.ok(error.message.includes(String(bad.id)), error.message);
        assert.deepEqual(await read('users', { column: 'id', in: [String(good.id)] }), []);
      });

      it('a snapshot does not see rows committed after it began, and does not block that write', async () => {
        const id = randomUUID();
        const outside = await db.records.readSnapshot((r) => r.count('login_attempts'));
        await db.records.readSnapshot(async (reader) => {
          const write = db.records.writeTransaction((w) => w.insert('login_attempts', [{ id, ip_address: '203.0.113.2' }]));
          await withTimeout(write, 10_000, 'a write while a snapshot is open');
          assert.equal(await reader.count('login_attempts'), outside);
          assert.deepEqual(await collect(reader.stream('login_attempts', { column: 'id', in: [id] })), []);
        });
        assert.equal((await read('login_attempts', { column: 'id', in: [id] })).length, 1);
      });

      it('deleting a user cascades to its rows; a user named in system_settings.updated_by is kept', async () => {
        const { input, u1, u2 } = fullFixture(subject.timeFractionDigits);
        await db.records.writeTransaction(async (w) => {
          for (const table of AVIARY_TABLE_NAMES) await w.insert(table, input[table]);
        });
        const deleted = await db.records.writeTransaction((w) => w.delete('users', { column: 'id', in: [u2] }));
        assert.equal(deleted, 1);
        for (const table of ['api_keys', 'user_sessions', 'user_folders_cache', 'documents'] as const) {
          assert.deepEqual(await read(table, { column: 'user_id', in: [u2] }), [], `${table} of the deleted user`);
          assert.equal((await read(table, { column: 'user_id', in: [u1] })).length, 1, `${table} of the other user`);
        }
        await assert.rejects(db.records.writeTransaction((w) => w.delete('users', { column: 'id', in: [u1] })), (e: unknown) => isDomainError(e, 'conflict'));
        assert.equal((await read('users', { column: 'id', in: [u1] })).length, 1);
      });
    });

    bulkInsertContract(() => subject);

    describe('accounts', () => {
      before(() => db.migrate());

      it('creates a user with Aviary defaults and finds it by username, email and id', async () => {
        const before = await db.accounts.countUsers();
        const name = `alice-${randomUUID().slice(0, 8)}`;
        const created = await db.accounts.createUser({ username: name, email: `${name}@example.org`, passwordHash: BCRYPT, isAdmin: true });
        assert.equal(await db.accounts.countUsers(), before + 1);
        assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.deepEqual(
          { ...created, id: undefined, createdAt: undefined },
          { id: undefined, createdAt: undefined, username: name, email: `${name}@example.org`, passwordHash: BCRYPT, isAdmin: true, isActive: true, rmapiPaired: false, defaultRmdir: '/' },
        );
        assert.ok(Math.abs(Date.parse(created.createdAt) - Date.now()) < 60_000, created.createdAt);
        assert.deepEqual(await db.accounts.findUserByLogin(name), created);
        assert.deepEqual(await db.accounts.findUserByLogin(`${name}@example.org`), created);
        assert.deepEqual(await db.accounts.findUserById(created.id.toUpperCase()), created);
        assert.equal(await db.accounts.findUserByLogin(name.toUpperCase()), null, 'case-sensitive like Aviary');
        assert.equal(await db.accounts.findUserById(randomUUID()), null);
        assert.equal(await db.accounts.findUserById('not-a-uuid'), null);
        const [row] = await read('users', { column: 'id', in: [created.id] });
        assert.ok(Number(row.folder_refresh_percent) >= 1 && Number(row.folder_refresh_percent) <= 99, String(row.folder_refresh_percent));
        await assert.rejects(
          db.accounts.createUser({ username: name, email: 'other@example.org', passwordHash: BCRYPT, isAdmin: false }),
          (e: unknown) => isDomainError(e, 'conflict'),
        );
      });

      it('reports pairing and deactivation from the stored row, and records logins', async () => {
        const user = plainUser({ rmapi_config: '[device]\ntoken = t\n', is_active: false, default_rmdir: '/Inbox' });
        await insert('users', [user]);
        const found = await db.accounts.findUserById(String(user.id));
        assert.deepEqual([found?.rmapiPaired, found?.isActive, found?.defaultRmdir], [true, false, '/Inbox']);
        await db.accounts.recordLogin(String(user.id));
        const [row] = await read('users', { column: 'id', in: [String(user.id)] });
        assert.ok(Math.abs(Date.parse(String(row.last_login)) - Date.now()) < 60_000, String(row.last_login));
      });

      it('creates API keys, finds them by prefix and touches last_used', async () => {
        const user = await db.accounts.createUser({ username: `k-${randomUUID()}`, email: `${randomUUID()}@example.org`, passwordHash: BCRYPT, isAdmin: false });
        const prefix = `aviary_${randomUUID().slice(0, 9)}`;
        const key = await db.accounts.createApiKey({ userId: user.id, name: 'cli', keyHash: BCRYPT, keyPrefix: prefix });
        assert.deepEqual({ ...key, id: undefined }, { id: undefined, userId: user.id, keyHash: BCRYPT, keyPrefix: prefix, isActive: true, expiresAt: null });
        assert.deepEqual(await db.accounts.findApiKeysByPrefix(prefix), [key]);
        assert.deepEqual(await db.accounts.findApiKeysByPrefix('aviary_nothing__'), []);
        await db.accounts.touchApiKey(key.id);
        const [row] = await read('api_keys', { column: 'id', in: [key.id] });
        assert.ok(Math.abs(Date.parse(String(row.last_used)) - Date.now()) < 60_000, String(row.last_used));
      });

      it('records login attempts', async () => {
        const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.1`;
        for (const success of [false, true]) await db.accounts.recordLoginAttempt({ ipAddress: ip, username: 'mallory', success, userAgent: 'ua' });
        const rows = await read('login_attempts', { column: 'ip_address', in: [ip] });
        assert.deepEqual(rows.map((r) => r.success).sort(), [false, true]);
      });

      it('counts attempts atomically: 200 concurrent increments get 200 distinct values', async () => {
        const counter = { scope: 'test', subject: randomUUID(), windowStart: 1_000 };
        const values = await Promise.all(Array.from({ length: 200 }, () => db.attempts.increment(counter)));
        assert.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
        await db.attempts.decrement(counter);
        assert.equal(await db.attempts.read(counter), 199);
        assert.equal(await db.attempts.read({ ...counter, windowStart: 0 }), 0);
        assert.ok((await db.attempts.purgeBefore(2_000)) >= 1);
        assert.equal(await db.attempts.read(counter), 0);
      });

      it('keeps sessions: created, found, touched, revoked for good', async () => {
        const user = await db.accounts.createUser({ username: `s-${randomUUID()}`, email: `${randomUUID()}@example.org`, passwordHash: BCRYPT, isAdmin: false });
        const id = randomUUID();
        const expiresAt = new Date(Date.now() + 3_600_000);
        await db.accounts.createSession({ id, userId: user.id, tokenHash: 'ab'.repeat(32), expiresAt, userAgent: 'ua', ipAddress: 'f'.repeat(60) });
        const found = await db.accounts.findSession(id);
        assert.deepEqual({ ...found, lastUsed: undefined }, { id, userId: user.id, tokenHash: 'ab'.repeat(32), expiresAt: canonicalTime(expiresAt.toISOString()), lastUsed: undefined, revoked: false });
        const [row] = await read('user_sessions', { column: 'id', in: [id] });
        assert.equal(String(row.ip_address).length, 45);
        await db.accounts.touchSession(id);
        await db.accounts.revokeSession(id, expiresAt);
        assert.equal(await db.accounts.findSession(id), null);
        await insert('user_sessions', [row]);
        assert.equal((await db.accounts.findSession(id))?.revoked, true, 'a row brought back (a restore) stays revoked');
        assert.equal(await db.accounts.findSession('not-a-uuid'), null);
      });

      it('gets and sets settings; an omitted description keeps the stored one', async () => {
        const seeded = DEFAULT_SYSTEM_SETTINGS.find((s) => s.key === 'max_api_keys_per_user')!;
        assert.equal(await db.accounts.getSetting(seeded.key), seeded.value);
        const key = `test_${randomUUID().slice(0, 8)}`;
        assert.equal(await db.accounts.getSetting(key), null);
        await db.accounts.setSetting(key, 'v1', 'first description');
        await db.accounts.setSetting(key, 'v2 ✓');
        assert.equal(await db.accounts.getSetting(key), 'v2 ✓');
        const [row] = await read('system_settings', { column: 'key', in: [key] });
        assert.equal(row.description, 'first description');
      });
    });
  });
}
