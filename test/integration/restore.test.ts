import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BlobStore, ByteStream } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { BACKUP_RESTORE_LOCK } from '../../src/application/ports/lock-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { Authenticator } from '../../src/application/auth/authenticator';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { bootService, BootedService } from '../../src/boot';
import { seedData, seedPassword } from '../../scripts/seed-data';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { silentLogger } from '../support/service';
import { captureState } from '../support/state';
import { ourArchive } from '../support/archive-builder';
import { leftovers } from '../support/leftovers';
import { untar } from '../support/tar';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { otherHolder } from '../fakes/in-memory.lock-store';
import { backupBytes } from '../support/backup-bytes';

async function collect(stream: ByteStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function* once(data: Buffer) {
  yield data;
}

for (const [dbKind, storageKind] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  describe(`RestoreBackup (${dbKind} + ${storageKind})`, function () {
    let setup: BackendSetup;
    let service: BootedService;
    let dataDir: string;
    let db: DatabaseBackend;
    let blobs: BlobStore;
    let archive: Buffer;
    let seeded: Awaited<ReturnType<typeof seedData>>;

    const restore = () => service.container.get(RestoreBackup);
    const fromBuffer = (data: Buffer) => ({ open: async () => once(data), sizeBytes: data.length });
    const state = () => captureState(db.records, blobs);
    const keysUnder = async (prefix: string) => {
      const keys: string[] = [];
      for await (const blob of listAll(blobs, prefix)) keys.push(blob.key);
      return keys.sort();
    };

    before(async function () {
      setup = await backendEnv(this, dbKind, storageKind);
      dataDir = await mkdtemp(join(tmpdir(), 'aviary-restore-'));
      service = await bootService({ env: { ...setup.env, DATA_DIR: dataDir }, background: false, logger: silentLogger });
      db = service.container.get<DatabaseBackend>(TOKENS.Database);
      blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
      seeded = await seedData({ records: db.records, blobs }, { users: 4, documents: 24, bytes: 3_000_000, seed: 'restore' });
      archive = await backupBytes(service);
    });
    after(async () => {
      await service?.close();
      await setup?.cleanup();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('brings back every row and file exactly after the data changed, and old passwords and keys work', async () => {
      const original = await state();
      // Change everything a restore must undo: a new user, a deleted document, a changed file.
      await db.accounts.createUser({ username: 'intruder', email: 'i@x', passwordHash: '$2b$04$x', isAdmin: true });
      const someDoc = Object.keys(original.files)[0];
      await blobs.delete(someDoc);
      const other = Object.keys(original.files)[1];
      await blobs.put(other, once(Buffer.from('changed')), { size: 7 });
      await db.records.writeTransaction((w) => w.delete('api_keys'));

      // Another connection watches the users table for the whole restore: it must never be empty.
      let opened = 0;
      let polling = true;
      const seen: number[] = [];
      const poller = (async () => {
        while (polling) {
          seen.push(await db.records.readSnapshot((r) => r.count('users')));
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const report = await restore()
        .execute({ ...fromBuffer(archive), open: async () => (opened++, once(archive)), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null })
        .finally(() => (polling = false));
      await poller;
      assert.ok(seen.length > 20, `polled ${seen.length} times`);
      assert.equal(Math.min(...seen), Math.min(original.tables.users.length, seen[0]), 'the users table was never empty');
      assert.ok(Math.min(...seen) > 0);
      assert.ok(report.safetyBackupJobId, 'a safety backup was taken');
      assert.equal(opened, 1, 'the archive was read once: checks, checksums and staging in one pass');
      const after = await state();
      assert.deepEqual(after.tables, original.tables);
      assert.deepEqual(after.files, original.files);

      const auth = service.container.get<Authenticator>(TOKENS.Authenticator);
      for (const user of seeded.users.filter((u) => u.isActive)) {
        const { user: account } = await auth.login({ username: user.username, password: seedPassword(user.username), ipAddress: `10.0.0.${Math.floor(Math.random() * 200)}`, userAgent: 't' });
        assert.equal(account.id, user.id);
        for (const key of user.apiKeys.filter((k) => k.active && (k.expiresInDays ?? 1) > 0)) {
          assert.equal((await auth.fromApiKey(key.key, '127.0.0.1'))?.id, user.id, `api key ${key.name} of ${user.username}`);
        }
      }
      const safety = await db.jobs.get(report.safetyBackupJobId!);
      assert.equal(safety?.status, 'completed');
      assert.equal(safety?.trigger, 'safety');
    });

    it('loads the tables it writes as spooled from the database\'s own lines, and inserts the ones it adjusts as rows', async () => {
      const byLines: string[] = [];
      const byRows: string[] = [];
      const records = Object.create(db.records) as typeof db.records;
      records.writeTransaction = (work, options) =>
        db.records.writeTransaction((writer) => {
          const watched = Object.create(writer) as typeof writer;
          watched.insert = (table, rows) => (byRows.push(table), writer.insert(table, rows));
          watched.loadLines = (table, chunks) => (byLines.push(table), writer.loadLines!(table, chunks));
          return work(watched);
        }, options);
      const deps = (restore() as unknown as { d: ConstructorParameters<typeof RestoreBackup>[0] }).d;
      // The backend's own methods (migrate after the commit) stay; only its records are watched.
      const database = Object.create(deps.db, { records: { value: records } }) as DatabaseBackend;
      const watching = new RestoreBackup({ ...deps, db: database });
      const report = await watching.execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      assert.deepEqual(byLines.sort(), ['api_keys', 'documents', 'login_attempts', 'user_sessions']);
      assert.deepEqual(byRows.sort(), ['system_settings', 'user_folders_cache', 'users']);
      const { tables } = await state();
      for (const table of [...byLines, ...byRows]) assert.equal(report.rows[table], tables[table as keyof typeof tables].length, table);
      assert.ok(report.rows.documents > 0 && report.rows.api_keys > 0);
    });

    it('restores only the selected user, leaving everyone else untouched', async () => {
      const [chosen, bystander] = seeded.users;
      // Start from the archive's state (logins in the previous test touched api key timestamps).
      await restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      const before = await state();
      const bystanderDoc = Object.keys(before.files).find((k) => k.startsWith(`users/${bystander.id}/`))!;
      await blobs.put(bystanderDoc, once(Buffer.from('bystander edit')), { size: 14 });
      const chosenDoc = Object.keys(before.files).find((k) => k.startsWith(`users/${chosen.id}/`))!;
      await blobs.delete(chosenDoc);
      await db.records.writeTransaction((w) => w.delete('api_keys', { column: 'user_id', in: [chosen.id, bystander.id] }));
      const edited = await state();

      await restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [chosen.id], adminUserId: null, safetyBackup: false });
      const after = await state();
      const of = (s: typeof after, id: string) => Object.fromEntries(Object.entries(s.files).filter(([k]) => k.startsWith(`users/${id}/`)));
      assert.deepEqual(of(after, chosen.id), of(before, chosen.id), 'chosen user files back');
      assert.deepEqual(of(after, bystander.id), of(edited, bystander.id), 'bystander files untouched');
      const keys = (s: typeof after, id: string) => s.tables.api_keys.filter((k) => k.user_id === id);
      assert.deepEqual(keys(after, chosen.id), keys(before, chosen.id));
      assert.deepEqual(keys(after, bystander.id), [], 'bystander rows untouched (still deleted)');
      assert.deepEqual(after.tables.login_attempts, edited.tables.login_attempts);
    });

    it('honours overwrite_database=false (files only) and a backup without files never wipes files', async () => {
      await restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      const before = await state();
      await db.accounts.createUser({ username: 'kept', email: 'kept@x', passwordHash: '$2b$04$x', isAdmin: false });
      const withKept = await state();
      await restore().execute({ ...fromBuffer(archive), overwriteDatabase: false, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      assert.deepEqual((await state()).tables, withKept.tables, 'database untouched');

      const noFiles = await backupBytes(service, { includeFiles: false, includeConfigs: true, userIds: [], tables: [] });
      await restore().execute({ ...fromBuffer(noFiles), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      assert.deepEqual((await state()).files, before.files, 'files kept');
    });

    it('files-only restore never creates files for users who do not exist here', async () => {
      await restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      const gone = seeded.users[seeded.users.length - 1];
      await db.records.writeTransaction((w) => w.delete('users', { column: 'id', in: [gone.id] }));
      await blobs.deletePrefix(`users/${gone.id}/`);
      const report = await restore().execute({ ...fromBuffer(archive), overwriteDatabase: false, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
      const files = Object.keys((await state()).files);
      assert.ok(!files.some((k) => k.startsWith(`users/${gone.id}/`)), 'no orphan files');
      assert.ok(files.length > 0);
      assert.ok(report.warnings.some((w) => w.includes(gone.id) && /does not exist here/.test(w)));
    });

    describe('faults: nothing changes', () => {
      let before: Awaited<ReturnType<typeof state>>;
      beforeEach(async () => {
        await restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
        await db.accounts.createUser({ username: `marker-${randomUUID().slice(0, 8)}`, email: `${randomUUID()}@x`, passwordHash: '$2b$04$x', isAdmin: false });
        before = await state();
      });

      it('(a) a corrupt entry near the end of the archive', async () => {
        const tar = gunzipSync(archive);
        const at = tar.length - 2048;
        tar[at] ^= 0xff;
        const corrupt = gzipSync(tar);
        await assert.rejects(
          restore().execute({ ...fromBuffer(corrupt), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null }),
          (e: { code?: string }) => e.code === 'archive_invalid',
        );
        assert.deepEqual(await state(), before);
      });

      it('(a2) a document changed after the archive was analysed: one read, refused by its checksum, nothing staged left, no safety backup', async () => {
        // The same archive with one document's bytes altered and checksums.sha256 kept as it was.
        const entries = [...untar(archive)].map(([name, body]) => ({ name, body }));
        const doc = entries.find((e) => e.name.startsWith('filesystem/documents/') && e.body.length > 100)!;
        doc.body = Buffer.from(doc.body);
        doc.body[50] ^= 0xff;
        const altered = await ourArchive(entries);
        const backupsBefore = await keysUnder('backups/');
        let opened = 0;
        await assert.rejects(
          restore().execute({ open: async () => (opened++, once(altered)), sizeBytes: altered.length, overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null }),
          (e: { code?: string; message?: string }) => e.code === 'archive_invalid' && /sha256 mismatch/.test(e.message ?? '') && e.message!.includes(doc.name),
        );
        assert.equal(opened, 1, 'the archive is read once');
        assert.deepEqual(await state(), before);
        assert.deepEqual(await leftovers(blobs, dataDir), []);
        assert.deepEqual(await keysUnder('backups/'), backupsBefore, 'no safety backup for an archive that failed its checks');
      });

      it('(a3) user_ids the archive does not hold: 400 invalid_user_ids once the pass has seen users.json, nothing changed, nothing staged left', async () => {
        const stranger = randomUUID();
        await assert.rejects(
          restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [seeded.users[0].id, stranger], adminUserId: null }),
          (e: { code?: string; category?: string; message?: string }) => e.code === 'invalid_user_ids' && e.category === 'invalid' && e.message!.includes(stranger),
        );
        assert.deepEqual(await state(), before);
        assert.deepEqual(await leftovers(blobs, dataDir), []);
      });

      it('(b) a database error mid-way: another current user holds the restored username', async () => {
        const [chosen] = seeded.users;
        await db.records.writeTransaction(async (w) => {
          const rows = [];
          for await (const row of w.stream('users', { column: 'id', in: [chosen.id] })) rows.push(row);
          await w.delete('users', { column: 'id', in: [chosen.id] });
          await w.insert('users', [{ ...rows[0], username: 'renamed-meanwhile', email: 'renamed@x' }]);
        });
        await db.accounts.createUser({ username: chosen.username, email: 'newcomer@x', passwordHash: '$2b$04$x', isAdmin: false });
        before = await state();
        await assert.rejects(
          restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [chosen.id], adminUserId: null, safetyBackup: false }),
          (e: { code?: string; details?: { cause?: string } }) => e.code === 'restore_import_failed' && e.details?.cause === 'duplicate_row',
        );
        assert.deepEqual(await state(), before);
      });

      it('(b2) a database error late in the transaction, after most rows were replaced', async () => {
        const records = Object.create(db.records) as typeof db.records;
        records.writeTransaction = (work, options) =>
          db.records.writeTransaction((writer) => {
            const failing = Object.create(writer) as typeof writer;
            const lost = () => new Error('connection to the database was lost');
            failing.insert = async (table, rows) => {
              if (table === 'login_attempts') throw lost();
              return writer.insert(table, rows);
            };
            // Where the store loads lines, the large tables come that way.
            failing.loadLines = async (table, chunks) => {
              if (table === 'login_attempts') throw lost();
              return writer.loadLines!(table, chunks);
            };
            return work(failing);
          }, options);
        const deps = (restore() as unknown as { d: ConstructorParameters<typeof RestoreBackup>[0] }).d;
        const broken = new RestoreBackup({ ...deps, db: { ...deps.db, records } as DatabaseBackend });
        await assert.rejects(
          broken.execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false }),
          (e: { code?: string }) => e.code === 'restore_import_failed',
        );
        assert.deepEqual(await state(), before);
      });

      it('(c) a storage error mid-way', async () => {
        let puts = 0;
        const failing = Object.create(blobs) as BlobStore;
        failing.put = async (key, body, options) => {
          if (key.includes('/staged/') && ++puts === 5) throw new Error('storage went away');
          return blobs.put(key, body, options);
        };
        const broken = new RestoreBackup({ ...(restore() as unknown as { d: ConstructorParameters<typeof RestoreBackup>[0] }).d, blobs: failing });
        await assert.rejects(broken.execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false }));
        assert.deepEqual(await state(), before);
        assert.deepEqual((await blobs.listPage('tmp/restore/')).items, []);
      });

      it('(c2) a storage error while swapping files in puts every file back', async () => {
        let moves = 0;
        const failing = Object.create(blobs) as BlobStore;
        failing.move = async (from, to) => {
          if (from.includes('/staged/') && ++moves === 3) throw new Error('storage went away during the swap');
          return blobs.move(from, to);
        };
        const broken = new RestoreBackup({ ...(restore() as unknown as { d: ConstructorParameters<typeof RestoreBackup>[0] }).d, blobs: failing });
        await assert.rejects(broken.execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false }));
        assert.deepEqual(await state(), before);
      });

      it('a second restore while one holds the lock answers 409 (conflict)', async () => {
        assert.ok(await db.locks.acquire(BACKUP_RESTORE_LOCK, otherHolder('restore', 'someone-else'), 60_000, 'restore test'));
        try {
          await assert.rejects(
            restore().execute({ ...fromBuffer(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null }),
            (e: { category?: string }) => e.category === 'conflict',
          );
        } finally {
          await db.locks.release(BACKUP_RESTORE_LOCK, otherHolder('restore', 'someone-else'));
        }
        assert.deepEqual(await state(), before);
      });
    });
  });
}
