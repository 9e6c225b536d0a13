import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { LockStore } from '../../src/application/ports/lock-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { ApplyRetention } from '../../src/application/use-cases/apply-retention.use-case';
import { CreateBackup } from '../../src/application/use-cases/create-backup.use-case';
import { RecoverBackupJobs } from '../../src/application/use-cases/recover-backup-jobs.use-case';
import { RunBackupJob } from '../../src/application/use-cases/run-backup-job.use-case';
import { BackupWorker } from '../../src/adapters/jobs/backup-worker';
import { bootService, BootedService } from '../../src/boot';
import { seedData } from '../../scripts/seed-data';
import { silentLogger } from '../support/service';
import { waitFor } from '../support/wait';
import { archiveCheck } from '../support/archive-check';
import { otherHolder } from '../fakes/in-memory.lock-store';

describe('BackupWorker and its lease (SQLite + filesystem)', () => {
  let service: BootedService;
  let dataDir: string;
  let db: DatabaseBackend;
  let blobs: BlobStore;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-backup-lease-'));
    service = await bootService({ env: { DATA_DIR: dataDir }, background: false, logger: silentLogger });
    db = service.container.get<DatabaseBackend>(TOKENS.Database);
    blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
    await seedData({ records: db.records, blobs }, { users: 2, documents: 6, bytes: 200_000, seed: 'lease' });
  });
  after(async () => {
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a backup whose lease cannot be renewed stops and fails instead of finishing without the lock', async () => {
    let renewals = 0;
    const locks = Object.create(db.locks) as LockStore;
    locks.renew = async () => {
      renewals++;
      throw new Error('database unreachable');
    };
    // The archive is written only once a renewal was attempted, so the loss happens mid-backup.
    const slow = Object.create(blobs) as BlobStore;
    slow.put = async (key, body, options) => {
      await waitFor(() => renewals > 0, 'a lease renewal');
      return blobs.put(key, body, options);
    };
    const c = service.container;
    const run = new RunBackupJob(db.jobs, slow, c.get(CreateBackup), { now: () => new Date() }, silentLogger, {}, archiveCheck());
    const worker = new BackupWorker(db.jobs, locks, run, c.get(RecoverBackupJobs), c.get(ApplyRetention), silentLogger, {
      workerId: 'lease-test', lockHolder: otherHolder('backup', 'lease-test'), lockTtlMs: 300,
    });
    const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] } });
    await worker.start();
    try {
      await waitFor(async () => ['completed', 'failed'].includes((await db.jobs.get(job.id))!.status), 'the job to end');
    } finally {
      await worker.stop();
    }
    const done = await db.jobs.get(job.id);
    assert.equal(done?.status, 'failed');
    assert.match(done?.errorMessage ?? '', /lock/);
    assert.deepEqual((await blobs.listPage('backups/')).items, []);
    assert.deepEqual((await blobs.listPage('tmp/backups/')).items, []);
  });
});
