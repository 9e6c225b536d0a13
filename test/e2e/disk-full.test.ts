import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { RunBackupJob } from '../../src/application/use-cases/run-backup-job.use-case';
import { bootService, BootedService } from '../../src/boot';
import { seedData } from '../../scripts/seed-data';
import { leftovers } from '../support/leftovers';
import { silentLogger } from '../support/service';
import { captureState, State } from '../support/state';
import { backupBytes } from '../support/backup-bytes';

const run = promisify(execFile);
const MB = 1024 * 1024;
const FULL = { includeFiles: true, includeConfigs: true, userIds: [], tables: [] };
/** A file outside every area Aviary reads (users/, backups/, tmp/) that takes up the space we want gone. */
const BALLAST = 'disk-full-ballast.bin';

async function* once(data: Buffer) {
  yield data;
}

interface Failure { category?: string; code?: string; message?: string; details?: { state?: string; cause?: string } }

/**
 * DATA_DIR on a real, size-limited tmpfs (SQLite database, documents, archives and temp areas all on it):
 * a restore or a backup that needs more than the free space fails saying the disk is full, and leaves every
 * row, every document and the temp areas exactly as before. Needs root to mount; it fails, never skips,
 * when the mount is refused.
 */
describe('disk full: DATA_DIR on a size-limited tmpfs (sqlite + filesystem)', function () {
  this.timeout(60_000);
  let mountPoint: string | undefined;
  let mounted = false;
  let service: BootedService | undefined;
  let beforeState: State;

  const db = () => service!.container.get<DatabaseBackend>(TOKENS.Database);
  const blobs = () => service!.container.get<BlobStore>(TOKENS.BlobStore);
  const state = () => captureState(db().records, blobs());
  const failure = (p: Promise<unknown>) => p.then(() => assert.fail('the work succeeded on a full disk'), (e: Failure) => e);

  async function freeBytes(): Promise<number> {
    const fs = await statfs(mountPoint!);
    return fs.bavail * fs.bsize;
  }

  /** Grows or shrinks the ballast so that about `bytes` stay free on the tmpfs. */
  async function leaveFree(bytes: number): Promise<void> {
    await rm(join(mountPoint!, BALLAST), { force: true });
    const ballast = (await freeBytes()) - bytes;
    assert.ok(ballast > 0, `the tmpfs has less than ${bytes} bytes free to begin with`);
    await writeFile(join(mountPoint!, BALLAST), Buffer.alloc(ballast));
  }

  async function archiveOf(): Promise<Buffer> {
    return await backupBytes(service!, FULL);
  }

  /** Incompressible documents, so an archive of them is as large as they are. */
  async function putRandomDocuments(userId: string, name: string, count: number, size: number): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const key = `users/${userId}/pdfs/${name}-${i}.pdf`;
      await blobs().put(key, once(randomBytes(size)), { size });
      keys.push(key);
    }
    return keys;
  }

  before(async function () {
    mountPoint = await mkdtemp(join(tmpdir(), 'aviary-diskfull-'));
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', mountPoint]);
      mounted = true;
    } catch (error) {
      throw new Error(`Cannot mount a size-limited tmpfs at ${mountPoint} (this test needs root): ${(error as Error).message}`);
    }
    service = await bootService({ env: { DB_TYPE: 'sqlite', STORAGE_BACKEND: 'filesystem', DATA_DIR: mountPoint }, logger: silentLogger });
    await seedData({ records: db().records, blobs: blobs() }, { users: 3, documents: 8, bytes: 400_000, seed: 'disk-full' });
  });

  after(async () => {
    await service?.close().catch(() => undefined);
    if (mounted) await run('umount', [mountPoint!]);
    if (mountPoint) await rmdir(mountPoint).catch(() => undefined);
  });

  it('a restore whose documents do not fit fails saying the disk is full; every row and document is as before; no temp left', async () => {
    const [firstUser] = (await state()).tables.users;
    // The archive: today's data plus 6 MB of documents; then those documents go again and a user is added.
    const big = await putRandomDocuments(String(firstUser.id), 'restore-big', 3, 2 * MB);
    const archive = await archiveOf();
    for (const key of big) await blobs().delete(key);
    await db().accounts.createUser({ username: 'after-the-backup', email: 'later@x', passwordHash: '$2b$04$x', isAdmin: false });
    await leaveFree(3 * MB);
    beforeState = await state();

    const e = await failure(service!.container.get(RestoreBackup).execute({
      open: async () => once(archive), sizeBytes: archive.length,
      overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false,
    }));

    assert.equal(e.code, 'restore_import_failed', String(e.message));
    assert.equal(e.category, 'unavailable', String(e.message));
    assert.equal(e.details?.state, 'rolled_back', String(e.message));
    assert.equal(e.details?.cause, 'storage_full', String(e.message));
    assert.match(e.message ?? '', /disk holding DATA_DIR .* is full/);
    assert.ok(e.message?.includes(mountPoint!), `the message names DATA_DIR: ${e.message}`);
    assert.match(e.message ?? '', /free space/);
    assert.deepEqual(await state(), beforeState, 'a row or a document changed');
    assert.deepEqual(await leftovers(blobs(), mountPoint!), []);
  });

  it('a backup that does not fit fails its job saying the disk is full; no partial archive or temp file', async () => {
    const [firstUser] = (await state()).tables.users;
    await rm(join(mountPoint!, BALLAST), { force: true });
    await putRandomDocuments(String(firstUser.id), 'backup-big', 2, 2 * MB);
    await leaveFree(2 * MB);
    beforeState = await state();
    const archivesBefore: string[] = [];
    for await (const blob of listAll(blobs(), 'backups/')) archivesBefore.push(blob.key);

    const job = await db().jobs.create({ adminUserId: null, trigger: 'manual', options: FULL });
    const done = await service!.container.get(RunBackupJob).execute((await db().jobs.claim(job.id, 'disk-full'))!, 'disk-full');

    assert.equal(done?.status, 'failed');
    assert.match(done?.errorMessage ?? '', /disk holding DATA_DIR .* is full/);
    assert.match(done?.errorMessage ?? '', /free space/);
    const archivesAfter: string[] = [];
    for await (const blob of listAll(blobs(), 'backups/')) archivesAfter.push(blob.key);
    assert.deepEqual(archivesAfter, archivesBefore, 'a partial archive was left');
    assert.deepEqual(await leftovers(blobs(), mountPoint!), []);
    assert.deepEqual(await state(), beforeState, 'a backup changed Aviary data');
  });
});
