import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { bootService, BootedService } from '../../src/boot';
import { seedData } from '../../scripts/seed-data';
import { backendEnv, BackendSetup } from '../support/backends';
import { sharedS3Server } from '../support/s3-server';
import { silentLogger } from '../support/service';
import { captureState, State } from '../support/state';
import { waitFor } from '../support/wait';
import { TS_CHILD_ARGS } from '../support/child-node';
import { backupBytes } from '../support/backup-bytes';

const root = join(__dirname, '..', '..');

async function makeArchive(service: BootedService): Promise<Buffer> {
  return await backupBytes(service);
}

/** Seeds, backs up, then changes the data so a restore has real work to do; returns the changed state. */
async function prepare(service: BootedService) {
  const db = service.container.get<DatabaseBackend>(TOKENS.Database);
  const blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
  await seedData({ records: db.records, blobs }, { users: 3, documents: 30, bytes: 2_000_000, seed: 'faults' });
  const archive = await makeArchive(service);
  await db.accounts.createUser({ username: 'after-backup', email: 'after@x', passwordHash: '$2b$04$x', isAdmin: false });
  for (const item of (await blobs.listPage('users/', { limit: 5 })).items) await blobs.delete(item.key);
  return { db, blobs, archive, before: await captureState(db.records, blobs) };
}

for (const [db, storage] of [['sqlite', 'filesystem'], ['postgres', 's3']] as const) {
  describe(`restore killed mid-way (${db} + ${storage})`, function () {
    let setup: BackendSetup;
    let dataDir: string;
    before(async function () {
      setup = await backendEnv(this, db, storage);
      dataDir = await mkdtemp(join(tmpdir(), 'aviary-restore-kill-'));
    });
    after(async () => {
      await setup?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('is undone on the next start: every table and file as before', async () => {
      const env = { ...setup.env, DATA_DIR: dataDir };
      let service = await bootService({ env, background: false, logger: silentLogger });
      const { archive, before } = await prepare(service);
      await service.close();
      const archivePath = join(dataDir, 'archive.tar.gz');
      await writeFile(archivePath, archive);

      // Killed by its own fault point, half-way through the file swap (never by a timer).
      const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/e2e/host/restore-process.ts'], {
        cwd: root,
        env: { ...process.env, ...env, RESTORE_ARCHIVE: archivePath, NODE_ENV: 'test', AVIARY_FAULT_POINT: 'restore.mid-swap:kill' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const signal = await new Promise((resolve) => child.on('exit', (_code, s) => resolve(s)));
      assert.equal(signal, 'SIGKILL', out);
      assert.match(out, /fault point reached: restore\.mid-swap/);

      service = await bootService({ env, background: false, logger: silentLogger });
      try {
        const after = await captureState(service.container.get<DatabaseBackend>(TOKENS.Database).records, service.container.get<BlobStore>(TOKENS.BlobStore));
        assert.deepEqual(after.tables, before.tables);
        assert.deepEqual(after.files, before.files);
        assert.deepEqual((await service.container.get<BlobStore>(TOKENS.BlobStore).listPage('tmp/restore/')).items, []);
      } finally {
        await service.close();
      }
    });
  });
}

describe('restore with the S3 server stopped mid-way (PostgreSQL + S3)', function () {
  let setup: BackendSetup;
  let dataDir: string;
  before(async function () {
    setup = await backendEnv(this, 'postgres', 's3');
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-restore-s3-'));
  });
  after(async () => {
    await (await sharedS3Server()).restart().catch(() => undefined);
    await setup?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('fails, changes nothing, and leaves nothing once S3 is back', async () => {
    const s3 = await sharedS3Server();
    const service = await bootService({ env: { ...setup.env, DATA_DIR: dataDir }, background: false, logger: silentLogger });
    try {
      const { db, blobs, archive, before } = await prepare(service);
      let staged = 0;
      const stopping = Object.create(blobs) as BlobStore;
      stopping.put = async (key, body, options) => {
        if (key.includes('/staged/') && ++staged === 10) await s3.stop();
        return blobs.put(key, body, options);
      };
      const deps = (service.container.get(RestoreBackup) as unknown as { d: ConstructorParameters<typeof RestoreBackup>[0] }).d;
      await assert.rejects(
        new RestoreBackup({ ...deps, blobs: stopping }).execute({
          open: async () => (async function* () { yield archive; })(),
          overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false,
        }),
        (e: { code?: string; category?: string; details?: { state?: string } }) =>
          e.code === 'restore_import_failed' && e.category === 'unavailable' && e.details?.state === 'rolled_back',
      );
      await s3.restart();
      const after: State = await captureState(db.records, blobs);
      assert.deepEqual(after.tables, before.tables);
      assert.deepEqual(after.files, before.files);
      // The running service removes what the failed restore staged as soon as S3 answers: no restart needed.
      await waitFor(async () => (await blobs.listPage('tmp/restore/')).items.length === 0, 'the staged files to be removed');
      assert.deepEqual((await captureState(db.records, blobs)).files, before.files);
    } finally {
      await s3.restart().catch(() => undefined);
      await service.close();
    }
  });
});
