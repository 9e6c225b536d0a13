import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { FaultPoints } from '../../src/application/ports/fault-points.port';
import { BACKUP_RESTORE_LOCK, type LockStore } from '../../src/application/ports/lock-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { RecoverRestores } from '../../src/application/use-cases/recover-restores.use-case';
import { savePlan, swapIn } from '../../src/application/use-cases/restore/file-swap';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { bootService, BootedService } from '../../src/boot';
import { UnavailableError } from '../../src/domain/errors';
import { seedData } from '../../scripts/seed-data';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { silentLogger } from '../support/service';
import { captureState, State } from '../support/state';
import { waitFor } from '../support/wait';
import { otherHolder } from '../fakes/in-memory.lock-store';
import { backupBytes } from '../support/backup-bytes';

type Deps = ConstructorParameters<typeof RestoreBackup>[0];
interface Failure { code?: string; category?: string; message?: string; details?: { state?: string; cause?: string } }

async function* once(data: Buffer) {
  yield data;
}

/**
 * Failures after the files were swapped in: the transaction's last steps, the commit itself, the
 * steps after the commit, and storage failing while files are put back.
 */
for (const [dbKind, storageKind] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  describe(`RestoreBackup failing after the swap (${dbKind} + ${storageKind})`, function () {
    let setup: BackendSetup;
    let service: BootedService;
    let dataDir: string;
    let db: DatabaseBackend;
    let blobs: BlobStore;
    let archive: Buffer;
    let restored: State;
    let changed: State;

    const state = () => captureState(db.records, blobs);
    const deps = () => (service.container.get(RestoreBackup) as unknown as { d: Deps }).d;
    const input = () => ({ open: async () => once(archive), sizeBytes: archive.length, overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
    const failure = (p: Promise<unknown>) => p.then(() => assert.fail('the restore succeeded'), (e: Failure) => e);
    const leftovers = async () => (await blobs.listPage('tmp/restore/')).items.map((i) => i.key);
    /** A record store whose transactions run `after` once the work is done (before or after the commit). */
    const wrapped = (hook: { beforeCommit?: () => Promise<void>; afterCommit?: () => Promise<void> }): RecordStore => {
      const records = Object.create(db.records) as RecordStore;
      records.writeTransaction = async (work, options) => {
        const result = await db.records.writeTransaction(async (w) => {
          const r = await work(w);
          await hook.beforeCommit?.();
          return r;
        }, options);
        await hook.afterCommit?.();
        return result;
      };
      return records;
    };

    before(async function () {
      setup = await backendEnv(this, dbKind, storageKind);
      dataDir = await mkdtemp(join(tmpdir(), 'aviary-restore-swap-'));
      service = await bootService({ env: { ...setup.env, DATA_DIR: dataDir }, background: false, logger: silentLogger });
      db = service.container.get<DatabaseBackend>(TOKENS.Database);
      blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
      await seedData({ records: db.records, blobs }, { users: 3, documents: 18, bytes: 1_000_000, seed: 'after-swap' });
      // One document whose key is longer than 100 bytes (a tar name needs a long-name record for it).
      const [firstUser] = (await state()).tables.users;
      const longKey = `users/${firstUser.id}/pdfs/${'A very long folder name for a document/'.repeat(2)}and a long document name.pdf`;
      assert.ok(Buffer.byteLength(longKey) > 100);
      await blobs.put(longKey, once(Buffer.from('long key body')), { size: 13 });
      archive = await backupBytes(service);
      restored = await state();
    });
    after(async () => {
      await service?.close();
      await setup?.cleanup();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      // Bring back the archive's state, then change rows and files so a restore has real work to do.
      await service.container.get(RestoreBackup).execute(input());
      await db.accounts.createUser({ username: `changed-${Date.now()}`, email: `${Date.now()}@x`, passwordHash: '$2b$04$x', isAdmin: false });
      const keys = Object.keys(restored.files).sort();
      await blobs.delete(keys[0]);
      await blobs.delete(keys.find((k) => Buffer.byteLength(k) > 100)!);
      await blobs.put(keys[1], once(Buffer.from('edited after the backup')), { size: 23 });
      changed = await state();
      assert.notDeepEqual(changed.files, restored.files);
    });

    it('a COMMIT that fails after the swap puts every file back, keeps the cause\'s category and says it was rolled back', async () => {
      const failing = new RestoreBackup({
        ...deps(),
        db: { ...deps().db, records: wrapped({ beforeCommit: async () => { throw new UnavailableError('database_unavailable', 'the connection dropped at COMMIT'); } }) },
      });
      const e = await failure(failing.execute(input()));
      assert.deepEqual(await state(), changed);
      assert.equal(e.code, 'restore_import_failed');
      assert.equal(e.category, 'unavailable');
      assert.equal(e.details?.state, 'rolled_back');
      assert.match(e.message ?? '', /rolled back/);
      assert.deepEqual(await leftovers(), []);
    });

    /** The restore committed, then a later step failed: the restored state stays, and the error says so. */
    async function assertCommittedAnyway(e: Awaited<ReturnType<typeof failure>>): Promise<void> {
      assert.deepEqual(await state(), restored);
      assert.equal(e.category, 'unavailable');
      assert.equal(e.details?.state, 'committed');
      assert.match(e.message ?? '', /committed/);
      assert.doesNotMatch(e.message ?? '', /nothing was changed|rolled back/);
      assert.deepEqual(await leftovers(), []);
    }

    it('a failure reported by the database after it committed (the marker exists) keeps the restored state and says so', async () => {
      const failing = new RestoreBackup({
        ...deps(),
        db: { ...deps().db, records: wrapped({ afterCommit: async () => { throw new UnavailableError('database_unavailable', 'the answer to COMMIT was lost'); } }) },
      });
      await assertCommittedAnyway(await failure(failing.execute(input())));
    });

    it('a failure after the commit (schema migration) keeps the restored state and says the restore was committed', async () => {
      const failing = new RestoreBackup({
        ...deps(),
        db: { ...deps().db, migrate: async () => { throw new UnavailableError('database_unavailable', 'migrations could not run'); } } as DatabaseBackend,
      });
      await assertCommittedAnyway(await failure(failing.execute(input())));
    });

    it('a move cut between its copy and its delete (as an S3 move can be) is undone too, whatever the key length', async () => {
      const cut = Object.create(blobs) as BlobStore;
      cut.move = async (from, to) => {
        if (from.includes('/staged/') && Buffer.byteLength(to) > 100) {
          await blobs.put(to, await blobs.get(from));
          throw new UnavailableError('storage_unavailable', 'the connection dropped after the copy');
        }
        return blobs.move(from, to);
      };
      const failing = new RestoreBackup({ ...deps(), blobs: cut });
      const e = await failure(failing.execute(input()));
      assert.deepEqual(await state(), changed);
      assert.equal(e.category, 'unavailable');
      assert.equal(e.details?.state, 'rolled_back');
      assert.deepEqual(await leftovers(), []);
    });

    it('a restore whose lease cannot be renewed does not commit: rolled back, every file back', async () => {
      let renewals = 0;
      const locks = Object.create(db.locks) as LockStore;
      locks.renew = async () => {
        renewals++;
        throw new UnavailableError('database_unavailable', 'the lock table cannot be reached');
      };
      // Inside the transaction, files swapped in: wait there until a renewal has failed (and its loss is known).
      const faults: FaultPoints = {
        reach: async (point) => {
          if (point !== 'restore.after-swap-in') return;
          await waitFor(() => renewals > 0, 'a lease renewal');
          await new Promise((resolve) => setImmediate(resolve));
        },
      };
      const failing = new RestoreBackup({ ...deps(), lockTtlMs: 300, faults, db: { ...deps().db, locks } });
      const e = await failure(failing.execute(input()));
      assert.deepEqual(await state(), changed);
      assert.equal(e.category, 'unavailable');
      assert.equal(e.details?.state, 'rolled_back');
      assert.equal(e.details?.cause, 'lock_lost');
      assert.deepEqual(await leftovers(), []);
    });

    it('recovery at start leaves a dead run alone while another live process holds the lock, and undoes it once the lock is free', async () => {
      // What a restore killed half-way through setting files aside leaves behind.
      const plan = { runId: randomUUID(), markerId: randomUUID(), setAside: Object.keys(changed.files).slice(0, 3), place: [] };
      await savePlan(blobs, plan);
      await swapIn(blobs, plan);
      assert.notDeepEqual(await state(), changed);
      const recover = service.container.get(RecoverRestores);
      assert.ok(await db.locks.acquire(BACKUP_RESTORE_LOCK, otherHolder('backup'), 60_000, 'backup'));
      try {
        assert.deepEqual(await recover.execute(), { undone: [], cleaned: [], busy: true });
        assert.ok((await leftovers()).some((k) => k.includes('/previous/')), 'nothing touched while the other process holds the lock');
      } finally {
        await db.locks.release(BACKUP_RESTORE_LOCK, otherHolder('backup'));
      }
      assert.deepEqual(await recover.execute(), { undone: [plan.runId], cleaned: [], busy: false });
      assert.deepEqual(await state(), changed);
      assert.deepEqual(await leftovers(), []);
    });

    it('storage failing while files are put back: previous files are kept and put back as soon as storage answers again', async () => {
      let down = true;
      const flaky = Object.create(blobs) as BlobStore;
      flaky.move = async (from, to) => {
        if (down && from.includes('/previous/')) throw new UnavailableError('storage_unavailable', 'storage went away');
        return blobs.move(from, to);
      };
      flaky.deletePrefix = async (prefix) => {
        if (down) throw new UnavailableError('storage_unavailable', 'storage went away');
        return blobs.deletePrefix(prefix);
      };
      const failing = new RestoreBackup({
        ...deps(),
        blobs: flaky,
        db: { ...deps().db, records: wrapped({ beforeCommit: async () => { throw new UnavailableError('database_unavailable', 'the connection dropped at COMMIT'); } }) },
      });
      const e = await failure(failing.execute(input()));
      assert.equal(e.category, 'unavailable');
      assert.equal(e.details?.state, 'rolling_back');
      assert.match(e.message ?? '', /not all .*back yet/i);
      const previous = (await leftovers()).filter((k) => k.includes('/previous/'));
      assert.ok(previous.length > 0, 'the operator\'s files are kept under previous/ until they are back');
      down = false;
      await waitFor(async () => (await leftovers()).length === 0, 'the failed restore to be undone');
      await waitFor(async () => (await db.locks.current(BACKUP_RESTORE_LOCK)) === null, 'the lock to be released once the files are back');
      assert.deepEqual(await state(), changed);
    });
  });
}
