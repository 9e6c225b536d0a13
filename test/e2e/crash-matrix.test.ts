import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { FaultPointName, FaultPoints } from '../../src/application/ports/fault-points.port';
import { BACKUP_RESTORE_LOCK } from '../../src/application/ports/lock-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { CreateBackup } from '../../src/application/use-cases/create-backup.use-case';
import { ReceiveRestoreUpload } from '../../src/application/use-cases/receive-restore-upload.use-case';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { RunBackupJob } from '../../src/application/use-cases/run-backup-job.use-case';
import { InjectedFaultPoints } from '../../src/adapters/system/env.fault-points';
import { bootService, BootedService } from '../../src/boot';
import { seedData } from '../../scripts/seed-data';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { pgConnection } from '../support/postgres';
import { sharedS3Server } from '../support/s3-server';
import { silentLogger } from '../support/service';
import { leftovers } from '../support/leftovers';
import { captureState, State } from '../support/state';
import { waitFor } from '../support/wait';
import { TS_CHILD_ARGS } from '../support/child-node';
import { archiveCheck } from '../support/archive-check';
import { backupBytes } from '../support/backup-bytes';

/**
 * The crash matrix: every fault point of a restore, a backup and an upload, each as a thrown error and as
 * a SIGKILL of the process followed by a fresh start, on SQLite + filesystem and PostgreSQL + S3.
 * Afterwards every Aviary table (row by row) and every stored file (sha256) equals exactly the state
 * before or exactly the state after, the error says which, and no temporary object or file is left.
 * Single-user migration points are in single-to-multi.faults.test.ts.
 */
const root = join(__dirname, '..', '..');
const RESTORE_POINTS: readonly FaultPointName[] = [
  'restore.after-stage', 'restore.after-plan', 'restore.after-rows', 'restore.mid-swap',
  'restore.after-swap-in', 'restore.before-commit', 'restore.after-commit',
];
const BACKUP_POINTS: readonly FaultPointName[] = ['backup.mid-documents', 'backup.before-move', 'backup.after-move'];
const FULL = { includeFiles: true, includeConfigs: true, userIds: [], tables: [] };

type Outcome = 'before' | 'after';
type Deps = ConstructorParameters<typeof RestoreBackup>[0];
interface Failure { category?: string; code?: string; message?: string; details?: { state?: string; cause?: string } }

/** One line per case, printed at the end with MATRIX_TABLE=1. */
const table: string[] = [];
after(() => {
  if (process.env.MATRIX_TABLE) console.log(['| fault point | fault | backends | state afterwards |', '|---|---|---|---|', ...table].join('\n'));
});

async function* once(data: Buffer) {
  yield data;
}

async function archiveOf(service: BootedService): Promise<Buffer> {
  return await backupBytes(service, FULL);
}

/** Runs test/e2e/host/fault-child.ts until the fault point kills it; fails if it was not killed there. */
async function killedAt(point: FaultPointName, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/e2e/host/fault-child.ts'], {
    cwd: root,
    env: { ...process.env, ...env, NODE_ENV: 'test', AVIARY_FAULT_POINT: `${point}:kill` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  assert.equal(signal, 'SIGKILL', `the child was not killed at ${point}: ${out}`);
  assert.match(out, new RegExp(`fault point reached: ${point.replace('.', '\\.')}`));
}

async function hashes(blobs: BlobStore, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const blob of listAll(blobs, prefix)) {
    const hash = createHash('sha256');
    for await (const chunk of await blobs.get(blob.key)) hash.update(chunk);
    out[blob.key] = hash.digest('hex');
  }
  return out;
}

for (const [dbKind, storageKind] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  const pair = `${dbKind} + ${storageKind}`;
  describe(`crash matrix (${pair})`, function () {
    let setup: BackendSetup;
    let dataDir: string;
    let env: Record<string, string>;
    let service: BootedService;
    /** The archive a restore brings back, and the state it represents. */
    let archive: Buffer;
    let archivePath: string;
    let afterState: State;
    /** An archive of the changed state, to get back to `beforeState` after a case that ended "after". */
    let resetArchive: Buffer;
    let beforeState: State;
    let current: Outcome;

    const db = () => service.container.get<DatabaseBackend>(TOKENS.Database);
    const blobs = () => service.container.get<BlobStore>(TOKENS.BlobStore);
    const state = () => captureState(db().records, blobs());
    const boot = (background = false) => bootService({ env, background, logger: silentLogger });
    const restoreWith = (faults: FaultPoints, overrides: Partial<Deps> = {}) => {
      const deps = (service.container.get(RestoreBackup) as unknown as { d: Deps }).d;
      return new RestoreBackup({ ...deps, faults, ...overrides }).execute({
        open: async () => once(archive), sizeBytes: archive.length,
        overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false,
      });
    };
    const failure = (p: Promise<unknown>) => p.then(() => assert.fail('the work succeeded despite the fault'), (e: Failure) => e);

    /** Asserts the state is exactly one of the two and returns which. */
    async function outcome(): Promise<Outcome> {
      const now = await state();
      if (JSON.stringify(now) === JSON.stringify(beforeState)) return 'before';
      if (JSON.stringify(now) === JSON.stringify(afterState)) return 'after';
      assert.deepEqual(now, beforeState, 'neither the state before nor the state after');
      throw new Error('unreachable');
    }

    async function toBefore(): Promise<void> {
      if (current === 'before') return;
      const deps = (service.container.get(RestoreBackup) as unknown as { d: Deps }).d;
      await new RestoreBackup(deps).execute({
        open: async () => once(resetArchive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false,
      });
      assert.equal(await outcome(), 'before');
      current = 'before';
    }

    before(async function () {
      setup = await backendEnv(this, dbKind, storageKind);
      dataDir = await mkdtemp(join(tmpdir(), 'aviary-matrix-'));
      env = { ...setup.env, DATA_DIR: dataDir } as Record<string, string>;
      service = await boot();
      await seedData({ records: db().records, blobs: blobs() }, { users: 3, documents: 12, bytes: 600_000, seed: 'matrix' });
      const [firstUser] = (await state()).tables.users;
      const longKey = `users/${firstUser.id}/pdfs/${'A folder name long enough to need a long-name record/'.repeat(2)}document.pdf`;
      await blobs().put(longKey, once(Buffer.from('long key body')), { size: 13 });
      archive = await archiveOf(service);
      archivePath = join(dataDir, 'matrix.tar.gz');
      await writeFile(archivePath, archive);
      afterState = await state();
      // The state before: a user more, two documents gone (one of them the long key), one edited.
      await db().accounts.createUser({ username: 'after-the-backup', email: 'later@x', passwordHash: '$2b$04$x', isAdmin: false });
      const keys = Object.keys(afterState.files).sort();
      await blobs().delete(keys[0]);
      await blobs().delete(longKey);
      await blobs().put(keys[1], once(Buffer.from('edited after the backup')), { size: 23 });
      resetArchive = await archiveOf(service);
      beforeState = await state();
      current = 'before';
    });
    after(async () => {
      await service?.close();
      await setup?.cleanup();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    describe('restore', () => {
      for (const point of RESTORE_POINTS) {
        const expected: Outcome = point === 'restore.after-commit' ? 'after' : 'before';

        it(`${point} × throw → ${expected}; the error says so`, async () => {
          await toBefore();
          const e = await failure(restoreWith(new InjectedFaultPoints(point, 'throw')));
          current = await outcome();
          assert.equal(current, expected);
          assert.equal(e.code, 'restore_import_failed');
          assert.equal(e.category, 'unavailable', 'the cause\'s category');
          assert.equal(e.details?.state, expected === 'after' ? 'committed' : 'rolled_back');
          assert.deepEqual(await leftovers(blobs(), dataDir), []);
          table.push(`| ${point} | throw | ${pair} | ${current} |`);
        });

        it(`${point} × SIGKILL, then a start → ${expected}`, async () => {
          await toBefore();
          await service.close();
          await killedAt(point, { ...env, MATRIX_OP: 'restore', MATRIX_ARCHIVE: archivePath });
          service = await boot();
          current = await outcome();
          assert.equal(current, expected);
          assert.deepEqual(await leftovers(blobs(), dataDir), []);
          table.push(`| ${point} | SIGKILL + start | ${pair} | ${current} |`);
        });
      }

      if (dbKind === 'postgres') {
        for (const point of ['restore.after-rows', 'restore.before-commit'] as const) {
          it(`PostgreSQL connection killed (pg_terminate_backend) at ${point} → before`, async () => {
            await toBefore();
            const terminate: FaultPoints = {
              reach: async (reached) => {
                if (reached !== point) return;
                const pg = new (await import('pg')).Client({ ...pgConnection(), database: env.DB_NAME });
                await pg.connect();
                try {
                  const killed = await pg.query(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and state like 'idle in transaction%'",
                    [env.DB_NAME]);
                  assert.equal(killed.rowCount, 1, 'the restore transaction\'s connection was found');
                } finally {
                  await pg.end();
                }
              },
            };
            const e = await failure(restoreWith(terminate));
            current = await outcome();
            assert.equal(current, 'before');
            assert.equal(e.details?.state, 'rolled_back');
            assert.equal(e.category, 'unavailable');
            assert.deepEqual(await leftovers(blobs(), dataDir), []);
            table.push(`| ${point} | pg_terminate_backend | ${pair} | ${current} |`);
          });
        }
      }

      if (storageKind === 's3') {
        it('S3 server stopped mid-swap → being undone, then before once S3 is back (no restart)', async () => {
          await toBefore();
          const s3 = await sharedS3Server();
          const stop: FaultPoints = { reach: async (reached) => { if (reached === 'restore.mid-swap') await s3.stop(); } };
          try {
            const e = await failure(restoreWith(stop));
            assert.equal(e.category, 'unavailable');
            assert.equal(e.details?.state, 'rolling_back');
          } finally {
            await s3.restart();
          }
          await waitFor(async () => (await db().locks.current(BACKUP_RESTORE_LOCK)) === null, 'the failed restore to be settled');
          current = await outcome();
          assert.equal(current, 'before');
          assert.deepEqual(await leftovers(blobs(), dataDir), []);
          table.push(`| restore.mid-swap | S3 server stopped | ${pair} | ${current} |`);
        });
      }
    });

    describe('backup', () => {
      /** Backups never change Aviary's tables or documents; "after" means one more completed archive. */
      async function backupOutcome(archivesBefore: Record<string, string>): Promise<Outcome> {
        assert.deepEqual(await state(), beforeState, 'a backup changed Aviary data');
        const archives = await hashes(blobs(), 'backups/');
        const completed = (await db().jobs.list()).filter((j) => j.status === 'completed' && j.trigger === 'manual');
        const added = Object.keys(archives).filter((k) => !(k in archivesBefore));
        if (added.length === 0) return 'before';
        assert.deepEqual(added, [completed[0]?.storageKey], 'the new archive belongs to a completed job');
        return 'after';
      }

      for (const point of BACKUP_POINTS) {
        it(`${point} × throw → before; the job failed and says why`, async () => {
          await toBefore();
          const archivesBefore = await hashes(blobs(), 'backups/');
          const c = service.container;
          const faults = new InjectedFaultPoints(point, 'throw');
          const create = Object.assign(Object.create(c.get(CreateBackup)), { faults }) as CreateBackup;
          const run = new RunBackupJob(db().jobs, blobs(), create, { now: () => new Date() }, silentLogger, {}, archiveCheck(), faults);
          const job = await db().jobs.create({ adminUserId: null, trigger: 'manual', options: FULL });
          const done = await run.execute((await db().jobs.claim(job.id, 'matrix'))!, 'matrix');
          assert.equal(done?.status, 'failed');
          assert.match(done?.errorMessage ?? '', /Fault injected/);
          assert.equal(await backupOutcome(archivesBefore), 'before');
          assert.deepEqual(await leftovers(blobs(), dataDir), []);
          table.push(`| ${point} | throw | ${pair} | before |`);
        });

        it(`${point} × SIGKILL, then a start → before; the job is failed`, async () => {
          await toBefore();
          const archivesBefore = await hashes(blobs(), 'backups/');
          await service.close();
          await killedAt(point, { ...env, MATRIX_OP: 'backup' });
          service = await boot(true);
          const jobs = await db().jobs.list();
          assert.equal(jobs.filter((j) => j.status === 'running').length, 0, 'no job left running');
          assert.equal(await backupOutcome(archivesBefore), 'before');
          assert.deepEqual(await leftovers(blobs(), dataDir), []);
          table.push(`| ${point} | SIGKILL + start | ${pair} | before |`);
        });
      }
    });

    describe('upload', () => {
      const point: FaultPointName = 'upload.mid-body';
      const admin = async () => (await db().accounts.findFirstAdmin()) ?? db().accounts.createUser({ username: 'matrix-admin', email: 'm@x', passwordHash: '$2b$04$x', isAdmin: true });

      it(`${point} × throw → before: no upload row or file`, async () => {
        await toBefore();
        const adminId = (await admin()).id;
        beforeState = await state();
        const receive = service.container.get(ReceiveRestoreUpload);
        const failing = Object.assign(Object.create(receive), { faults: new InjectedFaultPoints(point, 'throw') }) as ReceiveRestoreUpload;
        await failure(failing.execute({ adminUserId: adminId, filename: 'm.tar.gz', body: once(archive) }));
        assert.deepEqual(await db().uploads.listByAdmin(adminId), []);
        assert.equal(await outcome(), 'before');
        assert.deepEqual(await leftovers(blobs(), dataDir), []);
        table.push(`| ${point} | throw | ${pair} | before |`);
      });

      it(`${point} × SIGKILL, then a start → before: no upload listed, no temp file`, async () => {
        await toBefore();
        const adminId = (await admin()).id;
        beforeState = await state();
        await service.close();
        await killedAt(point, { ...env, MATRIX_OP: 'upload', MATRIX_ARCHIVE: archivePath, MATRIX_ADMIN: adminId });
        service = await boot(true);
        assert.deepEqual(await db().uploads.listByAdmin(adminId), []);
        assert.equal(await outcome(), 'before');
        assert.deepEqual(await leftovers(blobs(), dataDir), []);
        table.push(`| ${point} | SIGKILL + start | ${pair} | before |`);
      });
    });
  });
}
