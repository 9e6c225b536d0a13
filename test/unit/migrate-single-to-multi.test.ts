import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { BlobStore, ByteStream, PutOptions } from '../../src/application/ports/blob-store.port';
import { BACKUP_RESTORE_LOCK } from '../../src/application/ports/lock-store.port';
import { Authenticator } from '../../src/application/auth/authenticator';
import {
  MIGRATED_API_KEY_NAME, MigrateSingleToMulti, type MigrateSingleToMultiDeps, SINGLE_TO_MULTI_KIND,
} from '../../src/application/use-cases/migrate-single-to-multi.use-case';
import { BcryptPasswordHasher } from '../../src/adapters/auth/bcrypt.password-hasher';
import { JwtTokenService } from '../../src/adapters/auth/jwt.token-service';
import { singleUserDocuments } from '../../src/adapters/storage/single-user-documents';
import { apiKeyLookupPrefixes, storedApiKeyPrefix } from '../../src/application/auth/api-key-prefixes';
import { oldApiKeyTag } from '../../src/domain/api-key';
import { testAuthenticator, testTagger } from '../support/authenticator';
import { DomainError, UnavailableError } from '../../src/domain/errors';
import { InMemoryAccountStore } from '../fakes/in-memory.account-store';
import { InMemoryLockStore, otherHolder } from '../fakes/in-memory.lock-store';
import { InMemoryMigrationRunStore } from '../fakes/in-memory.migration-run-store';
import { MemoryBlobStore } from '../plugins/memory-storage';

const hasher = new BcryptPasswordHasher(4);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const PAIRING = 'devicetoken: eyJdevice.token.value\nusertoken: eyJuser.token.value\n';
const OLD_KEY = 'hunter2-single-user';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const once = (data: Buffer): ByteStream => (async function* () { yield data; })();

async function put(store: BlobStore, key: string, data: Buffer) {
  await store.put(key, once(data), { size: data.length });
}
async function read(store: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}
async function keys(store: BlobStore, prefix = ''): Promise<string[]> {
  return (await store.listPage(prefix)).items.map((i) => i.key);
}

const FILES: Record<string, Buffer> = {
  'Report 2024.pdf': randomBytes(3000),
  'Books/Vol..2.pdf': randomBytes(70_000),
  'Books/Fiction/Ünïcödé – 日本語.epub': randomBytes(5000),
  'Images/cover.png': randomBytes(800),
  'notes.txt': Buffer.from('plain text'),
  'empty.pdf': Buffer.alloc(0),
};
const TOTAL = Object.values(FILES).reduce((s, b) => s + b.length, 0);

describe('MigrateSingleToMulti (use case, fakes)', () => {
  let source: MemoryBlobStore;
  let target: MemoryBlobStore;
  let accounts: InMemoryAccountStore;
  let runs: InMemoryMigrationRunStore;
  let locks: InMemoryLockStore;
  let pairing: string | null | Error;
  let adminId: string;

  beforeEach(async () => {
    source = new MemoryBlobStore(1e8);
    target = new MemoryBlobStore(1e8);
    accounts = new InMemoryAccountStore();
    runs = new InMemoryMigrationRunStore();
    locks = new InMemoryLockStore();
    pairing = PAIRING;
    for (const [path, data] of Object.entries(FILES)) await put(source, path, data);
    adminId = (await accounts.createUser({ username: 'admin', email: 'a@x', passwordHash: 'h', isAdmin: true })).id;
  });

  function migration(overrides: Partial<MigrateSingleToMultiDeps> = {}): MigrateSingleToMulti {
    return new MigrateSingleToMulti({
      documents: { blobs: source, prefix: '' },
      target,
      accounts,
      pairing: { read: async () => { if (pairing instanceof Error) throw pairing; return pairing; } },
      hasher,
      tagger: testTagger(),
      runs,
      locks,
      clock: { now: () => new Date() },
      logger: silent,
      holder: otherHolder('single-to-multi', 'me'),
      apiKey: OLD_KEY,
      ...overrides,
    });
  }

  it('moves every document to users/{admin}/pdfs byte for byte, then the pairing file and API_KEY', async () => {
    const { status, report } = await migration().execute();
    assert.equal(status, 'completed');
    for (const [path, data] of Object.entries(FILES)) {
      assert.equal(sha(await read(target, `users/${adminId}/pdfs/${path}`)), sha(data), path);
    }
    assert.deepEqual(await keys(source), []);
    assert.deepEqual(report.moved.map((m) => m.from).sort(), Object.keys(FILES).sort());
    assert.equal(report.bytes, TOTAL);
    assert.equal(report.pairing, 'migrated');
    assert.equal(accounts.rmapiConfigs.get(adminId), PAIRING);
    assert.equal(report.apiKey, 'created');
    assert.equal(accounts.keys.length, 1);
    assert.equal(accounts.keys[0].userId, adminId);
    assert.ok(!accounts.keys[0].keyPrefix.includes(OLD_KEY.slice(0, 4)), 'key_prefix shows none of the key');
    const auth = testAuthenticator(accounts, hasher, { now: () => new Date() });
    assert.equal((await auth.fromApiKey(OLD_KEY, '10.0.0.1'))?.id, adminId);
    assert.equal(await auth.fromApiKey(OLD_KEY + 'x', '10.0.0.1'), null);
    const [run] = await runs.list(SINGLE_TO_MULTI_KIND);
    assert.equal(run.status, 'completed');
    assert.equal((run.report as { moved: unknown[] }).moved.length, Object.keys(FILES).length);
    assert.equal(locks.leases.size, 0, 'the lease is released');
  });

  it('preview reports counts and bytes and changes nothing; afterwards nothing is pending', async () => {
    const before = (await keys(source)).sort();
    const preview = await migration().preview();
    assert.equal(preview.pending, true);
    assert.equal(preview.documentCount, Object.keys(FILES).length);
    assert.equal(preview.totalBytes, TOTAL);
    assert.deepEqual(preview.targetUser, { id: adminId, username: 'admin' });
    assert.deepEqual(preview.pairing, { present: true, willApply: true });
    assert.equal(preview.apiKey, 'will-create');
    assert.ok(preview.documents.every((d) => d.action === 'move' && FILES[d.path].length === d.size));
    assert.deepEqual((await keys(source)).sort(), before);
    assert.deepEqual(await keys(target), []);
    assert.equal(accounts.keys.length + runs.rows.length + accounts.rmapiConfigs.size, 0);

    await migration().execute();
    const after = await migration().preview();
    assert.equal(after.pending, false);
    assert.equal(after.apiKey, 'already-present');
    assert.deepEqual(after.pairing, { present: true, willApply: false });
  });

  it('a second run moves nothing, creates no key and keeps the stored pairing', async () => {
    await migration().execute();
    const listing = (await keys(target)).sort();
    pairing = 'devicetoken: other\n';
    const { status, report } = await migration().execute();
    assert.equal(status, 'completed');
    assert.deepEqual(report.moved, []);
    assert.equal(report.apiKey, 'already-present');
    assert.equal(report.pairing, 'kept-existing');
    assert.equal(accounts.keys.length, 1);
    assert.equal(accounts.rmapiConfigs.get(adminId), PAIRING);
    assert.deepEqual((await keys(target)).sort(), listing);
  });

  it('resumes: an identical copy already at the target only costs the original; a different one is a conflict, both kept', async () => {
    await put(target, `users/${adminId}/pdfs/Report 2024.pdf`, FILES['Report 2024.pdf']);
    const other = Buffer.from('not the same bytes');
    await put(target, `users/${adminId}/pdfs/notes.txt`, other);
    const { status, report } = await migration().execute();
    assert.equal(status, 'failed');
    assert.deepEqual(report.moved.find((m) => m.from === 'Report 2024.pdf'), {
      from: 'Report 2024.pdf', to: `users/${adminId}/pdfs/Report 2024.pdf`, size: 3000, resumed: true,
    });
    assert.deepEqual(report.failed.map((f) => f.path), ['notes.txt']);
    assert.match(report.failed[0].reason, /conflict/);
    assert.deepEqual(await read(source, 'notes.txt'), FILES['notes.txt']);
    assert.deepEqual(await read(target, `users/${adminId}/pdfs/notes.txt`), other);
    assert.deepEqual(await keys(source), ['notes.txt']);
    assert.equal(report.moved.length, Object.keys(FILES).length - 1);
  });

  it('keeps the original and removes a copy that does not verify', async () => {
    const corrupting = Object.create(target) as BlobStore;
    corrupting.put = async (key: string, body: ByteStream, options?: PutOptions) => {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c));
      const data = Buffer.concat(chunks);
      if (key.endsWith('cover.png')) data[0] ^= 0xff;
      return target.put(key, once(data), options);
    };
    const { report } = await migration({ target: corrupting }).execute();
    assert.deepEqual(report.failed, [{ path: 'Images/cover.png', reason: 'verification failed: the stored copy differs from the original; the original was kept' }]);
    assert.deepEqual(await keys(source), ['Images/cover.png']);
    assert.equal(await target.stat(`users/${adminId}/pdfs/Images/cover.png`), null);
  });

  it('targets the oldest active admin', async () => {
    accounts.users = [];
    const mk = async (username: string, isAdmin: boolean, createdAt: string, isActive = true) => {
      const u = await accounts.createUser({ username, email: `${username}@x`, passwordHash: 'h', isAdmin });
      Object.assign(u, { createdAt, isActive });
      return u.id;
    };
    await mk('olduser', false, '2020-01-01T00:00:00Z');
    await mk('disabled-admin', true, '2021-01-01T00:00:00Z', false);
    const first = await mk('first-admin', true, '2022-01-01T00:00:00Z');
    await mk('second-admin', true, '2023-01-01T00:00:00Z');
    const { report } = await migration().execute();
    assert.equal(report.targetUserId, first);
    assert.equal(accounts.keys[0].userId, first);
    assert.ok(await target.stat(`users/${first}/pdfs/notes.txt`));
  });

  it('a run killed mid-way is finished into the same admin, even when another admin has become the oldest since', async () => {
    let puts = 0;
    const hanging = Object.create(target) as BlobStore;
    hanging.put = async (key: string, body: ByteStream, options?: PutOptions) => {
      if (++puts > 2) return new Promise(() => undefined); // the process "dies" here: nothing more happens
      return target.put(key, body, options);
    };
    void migration({ target: hanging }).execute();
    while (puts <= 2) await new Promise((r) => setImmediate(r));
    const older = await accounts.createUser({ username: 'older-admin', email: 'o@x', passwordHash: 'h', isAdmin: true });
    Object.assign(older, { createdAt: '2000-01-01T00:00:00Z' });
    assert.equal((await accounts.findFirstAdmin())?.id, older.id);

    const { status, report } = await migration({ holder: otherHolder('single-to-multi', 'next-process'), isDeadHolder: (h) => h.process.host === 'me' }).execute();
    assert.equal(status, 'completed');
    assert.equal(report.targetUserId, adminId);
    assert.deepEqual(await keys(target, `users/${older.id}/`), [], 'nothing went to the other admin');
    assert.equal((await keys(target, `users/${adminId}/pdfs/`)).length, Object.keys(FILES).length);
    assert.deepEqual(await keys(source), []);
  });

  it('reports an absent or unreadable pairing file without failing the documents', async () => {
    pairing = null;
    assert.equal((await migration().execute()).report.pairing, 'absent');
    pairing = Object.assign(new Error('EACCES: /root/.config/rmapi/rmapi.conf'), { code: 'EACCES' });
    const { status, report } = await migration().execute();
    assert.equal(report.pairing, 'failed');
    assert.equal(status, 'failed');
    assert.ok(report.warnings.some((w) => /RMAPI_CONFIG_PATH/.test(w) && !w.includes('/root')), 'no server path in the report');
  });

  it('does not recreate a migrated key that an admin deactivated; no API_KEY means no key', async () => {
    await migration().execute();
    (accounts.keys[0] as { isActive: boolean }).isActive = false;
    assert.equal((await migration().execute()).report.apiKey, 'already-present');
    assert.equal(accounts.keys.length, 1);
    assert.equal((await migration({ apiKey: undefined }).execute()).report.apiKey, 'not-configured');
    assert.equal(accounts.keys[0].keyHash.startsWith('$2'), true);
    assert.equal(MIGRATED_API_KEY_NAME, 'Migrated from API_KEY env var');
  });

  it('answers 409 (conflict) while a run or a backup/restore holds the lease, and takes over a dead holder', async () => {
    await locks.acquire(BACKUP_RESTORE_LOCK, otherHolder('backup', 'host'), 60_000, 'backup');
    await assert.rejects(migration().execute(), (e: DomainError) => e.category === 'conflict' && e.code === 'operation_in_progress');
    assert.equal(runs.rows.length, 0);
    const { status } = await migration({ isDeadHolder: (h) => h.process.host === 'host' && h.role === 'backup' }).execute();
    assert.equal(status, 'completed');

    const slow = Object.create(target) as BlobStore;
    slow.stat = async (key: string) => { await new Promise((r) => setTimeout(r, 20)); return target.stat(key); };
    for (const [path, data] of Object.entries(FILES)) await put(source, path, data);
    const m = migration({ target: slow, documents: { blobs: source, prefix: '' } });
    const first = m.execute();
    await assert.rejects(m.execute(), (e: DomainError) => e.category === 'conflict');
    await first;
  });

  it('marks runs left "running" by a dead process as failed and stops (recorded) when storage goes away', async () => {
    await runs.start(SINGLE_TO_MULTI_KIND, null);
    let puts = 0;
    const flaky = Object.create(target) as BlobStore;
    flaky.put = async (key: string, body: ByteStream, options?: PutOptions) => {
      if (++puts > 2) throw new UnavailableError('storage_unavailable', 'S3 at http://10.0.0.1 is down');
      return target.put(key, body, options);
    };
    await assert.rejects(migration({ target: flaky }).execute(), (e: DomainError) => e.category === 'unavailable');
    const [latest, interrupted] = await runs.list(SINGLE_TO_MULTI_KIND);
    assert.equal(interrupted.status, 'failed');
    assert.match(JSON.stringify(interrupted.report), /interrupted/);
    assert.equal(latest.status, 'failed');
    const report = latest.report as { moved: unknown[]; error: string; warnings: string[] };
    assert.equal(report.moved.length, 2);
    assert.equal(report.error, 'storage_unavailable');
    assert.match(report.warnings[0], /1 earlier run/);
    assert.equal((await keys(source)).length, Object.keys(FILES).length - 2);
    // The next run finishes the work.
    const { status } = await migration().execute();
    assert.equal(status, 'completed');
    assert.deepEqual(await keys(source), []);
    assert.equal((await keys(target)).length, Object.keys(FILES).length);
  });

  it('reads `pdfs/` of a shared store and skips folder markers and unstorable names', async () => {
    const shared = new MemoryBlobStore(1e8);
    await put(shared, 'pdfs/a.pdf', Buffer.from('a'));
    await put(shared, 'pdfs/sub/b.epub', Buffer.from('bb'));
    await put(shared, 'backups/x.tar.gz', Buffer.from('keep'));
    const fakeMarker = Object.create(shared) as BlobStore;
    fakeMarker.listPage = async (prefix, options) => {
      const page = await shared.listPage(prefix, options);
      return { ...page, items: [...page.items, { key: 'pdfs/folder/', size: 0, modifiedAt: new Date() }, { key: 'pdfs/bad\\name.pdf', size: 1, modifiedAt: new Date() }] };
    };
    const { report } = await migration({ documents: { blobs: fakeMarker, prefix: 'pdfs/' }, target: shared }).execute();
    assert.deepEqual(report.moved.map((m) => [m.from, m.to]), [['a.pdf', `users/${adminId}/pdfs/a.pdf`], ['sub/b.epub', `users/${adminId}/pdfs/sub/b.epub`]]);
    assert.deepEqual(report.skipped.map((s) => s.path), ['folder/', 'bad\\name.pdf']);
    assert.deepEqual((await keys(shared)).sort(), ['backups/x.tar.gz', `users/${adminId}/pdfs/a.pdf`, `users/${adminId}/pdfs/sub/b.epub`]);
  });

  it('refuses with a clear error when no admin exists', async () => {
    accounts.users = [];
    await assert.rejects(migration().execute(), (e: DomainError) => e.code === 'admin_not_found');
    assert.equal((await migration().preview()).targetUser, null);
  });
});

describe('API key prefixes', () => {
  it('stores the first 16 characters only of long aviary_ keys; a keyed 72-bit tag otherwise, found by lookup', () => {
    const tagger = testTagger();
    const long = 'aviary_' + 'a1b2c3d4'.repeat(6);
    assert.equal(storedApiKeyPrefix(long, tagger), long.slice(0, 16));
    assert.ok(apiKeyLookupPrefixes(long, tagger).includes(long.slice(0, 16)));
    for (const key of ['secret', 'aviary_short', OLD_KEY, 'x'.repeat(100)]) {
      const stored = storedApiKeyPrefix(key, tagger);
      assert.match(stored, /^tag_[A-Za-z0-9_-]{12}$/);
      assert.ok(!stored.includes(key.slice(0, 4)), key);
      assert.ok(apiKeyLookupPrefixes(key, tagger).includes(stored));
      assert.equal(apiKeyLookupPrefixes(key, tagger).includes(key.slice(0, 16)), key.startsWith('aviary_'), 'Aviary-made rows are found too');
    }
    assert.notEqual(storedApiKeyPrefix('secret-a', tagger), storedApiKeyPrefix('secret-b', tagger));
    assert.notEqual(new (tagger.constructor as new (s: string) => typeof tagger)('another secret 0123456789').tag('secret'), tagger.tag('secret'));
  });

  it('a key filed under the old 16-bit tag is re-filed under the keyed tag at start, and then authenticates', async () => {
    const accounts = new InMemoryAccountStore();
    const admin = await accounts.createUser({ username: 'admin', email: 'a@x', passwordHash: 'h', isAdmin: true });
    await accounts.createApiKey({ userId: admin.id, name: 'old', keyHash: await hasher.hash(OLD_KEY), keyPrefix: oldApiKeyTag(OLD_KEY) });
    const auth = testAuthenticator(accounts, hasher, { now: () => new Date() });
    assert.equal(await auth.fromApiKey(OLD_KEY, '10.0.0.1'), null, 'requests never look up the old tag');
    const migration = new MigrateSingleToMulti({
      documents: { problem: 'none' }, target: new MemoryBlobStore(10), accounts, pairing: { read: async () => null }, hasher,
      tagger: testTagger(), runs: new InMemoryMigrationRunStore(), locks: new InMemoryLockStore(), clock: { now: () => new Date() },
      logger: silent, holder: otherHolder('single-to-multi', 'me'), apiKey: OLD_KEY,
    });
    const { report } = await migration.execute();
    assert.equal(report.apiKey, 'already-present');
    assert.equal(accounts.keys.length, 1);
    assert.equal(accounts.keys[0].keyPrefix, storedApiKeyPrefix(OLD_KEY, testTagger()));
    assert.equal((await auth.fromApiKey(OLD_KEY, '10.0.0.1'))?.id, admin.id);
  });
});

describe('single-user document location (adapter)', () => {
  const store = new MemoryBlobStore(10);
  it('uses PDF_DIR on the filesystem and the pdfs/ prefix elsewhere; refuses a PDF_DIR that would swallow DATA_DIR', () => {
    assert.deepEqual(singleUserDocuments('s3', store, '/srv/pdfs', '/srv/data'), { blobs: store, prefix: 'pdfs/' });
    assert.deepEqual(singleUserDocuments('memory', store, '/srv/pdfs', '/srv/data'), { blobs: store, prefix: 'pdfs/' });
    const fs = singleUserDocuments('filesystem', store, '/srv/pdfs', '/srv/data');
    assert.ok('blobs' in fs && fs.prefix === '' && fs.blobs !== store);
    assert.ok('blobs' in singleUserDocuments('filesystem', store, '/srv/data/pdfs', '/srv/data'));
    assert.ok('blobs' in singleUserDocuments('filesystem', store, '/srv/data..old', '/srv/data'));
    for (const pdf of ['/srv/data', '/srv', '/', '/srv/data/users/x', '/srv/data/backups']) {
      assert.ok('problem' in singleUserDocuments('filesystem', store, pdf, '/srv/data'), pdf);
    }
  });
});
