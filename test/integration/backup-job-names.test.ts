import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { CreateBackup } from '../../src/application/use-cases/create-backup.use-case';
import { RunBackupJob } from '../../src/application/use-cases/run-backup-job.use-case';
import { bootService, BootedService } from '../../src/boot';
import { backupFilename } from '../../src/domain/archive/archive-format';
import { silentLogger } from '../support/service';
import { archiveCheck } from '../support/archive-check';

const AT = new Date('2026-05-06T07:08:09Z');
const options = { includeFiles: true, includeConfigs: true, userIds: [], tables: [] };

describe('RunBackupJob: archive names (SQLite + filesystem)', () => {
  let service: BootedService;
  let dataDir: string;
  let db: DatabaseBackend;
  let blobs: BlobStore;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-backup-names-'));
    service = await bootService({ env: { DATA_DIR: dataDir }, background: false, logger: silentLogger });
    db = service.container.get<DatabaseBackend>(TOKENS.Database);
    blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
  });
  after(async () => {
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a name another job recorded first (its file not yet in place) moves the archive on to the next suffix', async () => {
    const run = new RunBackupJob(db.jobs, blobs, service.container.get(CreateBackup), { now: () => AT }, silentLogger, {}, archiveCheck());
    // Another replica finished in the same second: its row holds the name, its file is not under it yet.
    const other = await db.jobs.create({ adminUserId: null, trigger: 'manual', options });
    await db.jobs.claim(other.id, 'other-worker');
    const first = backupFilename(AT, 0);
    assert.equal(await db.jobs.complete(other.id, 'other-worker', { storageKey: `backups/${first}`, filename: first, fileSize: 1, warnings: [], expiresAt: null, verifiedAt: null }), true);

    const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options });
    const done = await run.execute((await db.jobs.claim(job.id, 'me'))!, 'me');
    assert.equal(done?.status, 'completed', done?.errorMessage ?? '');
    assert.equal(done?.filename, backupFilename(AT, 1));
    assert.ok(await blobs.stat(`backups/${backupFilename(AT, 1)}`), 'the archive is under its name');
    assert.equal(await blobs.stat(`backups/${first}`), null, "the other job's name was left to it");
    assert.deepEqual((await blobs.listPage('tmp/backups/')).items, []);
  });
});
