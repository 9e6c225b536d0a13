import { join } from 'node:path';
import type { Container } from 'inversify';
import type { ArchiveEncoder } from '../application/ports/archive-encoder.port';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { Clock, Logger } from '../application/ports/system.port';
import type { FaultPoints } from '../application/ports/fault-points.port';
import { TOKENS } from '../application/ports/tokens';
import { ApplyRetention } from '../application/use-cases/apply-retention.use-case';
import { DeleteBackup } from '../application/use-cases/delete-backup.use-case';
import { QueueBackup } from '../application/use-cases/queue-backup.use-case';
import { CreateBackup } from '../application/use-cases/create-backup.use-case';
import { GetBackupJobs } from '../application/use-cases/get-backup-jobs.use-case';
import { GetBackupStatus } from '../application/use-cases/get-backup-status.use-case';
import { RecoverBackupJobs } from '../application/use-cases/recover-backup-jobs.use-case';
import { RunBackupJob } from '../application/use-cases/run-backup-job.use-case';
import { ValidateArchive } from '../application/use-cases/validate-archive.use-case';
import type { ArchiveReader } from '../application/ports/archive-reader.port';
import { TarGzArchiveEncoder } from '../adapters/archive/tar-gz.archive-encoder';
import type { AppConfig } from '../adapters/config/app-config';
import type { AdminRouteContribution } from '../adapters/http/create-router';
import { BackupScheduler } from '../adapters/jobs/backup-scheduler';
import type { BackgroundService } from '../adapters/jobs/background-service';
import { BackupWorker } from '../adapters/jobs/backup-worker';
import { isDeadHolder, isDeadWorkerTag, localHolder, PROCESS_TAG } from '../adapters/system/process-liveness';
import { parseCron } from '../domain/cron';
import { SERVICE_VERSION } from '../service-version';
import { HTTP_TOKENS } from './http-tokens';
import { ARCHIVE_TOKENS } from './archive.module';

// Required when the server mounts its routes: the CLI builds this container without loading express.
const backupRouter = () => require('../adapters/http/backup.router') as typeof import('../adapters/http/backup.router');

export const BACKUP_TOKENS = {
  ArchiveEncoder: Symbol.for('aviary.ArchiveEncoder'),
  WorkerId: Symbol.for('aviary.WorkerId'),
} as const;

/** CreateBackup, its job queue, worker, schedule, retention and the backup endpoints. */
export function backupModule(c: Container, config: AppConfig): void {
  c.bind(BACKUP_TOKENS.WorkerId).toConstantValue(PROCESS_TAG);
  c.bind<ArchiveEncoder>(BACKUP_TOKENS.ArchiveEncoder).toConstantValue(new TarGzArchiveEncoder({ spoolDir: join(config.dataDir, 'tmp-backup') }));

  c.bind(CreateBackup).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, encoder: ArchiveEncoder, clock: Clock, logger: Logger, faults: FaultPoints) =>
      new CreateBackup(db.records, blobs, encoder, clock, logger, SERVICE_VERSION, faults),
    [TOKENS.Database, TOKENS.BlobStore, BACKUP_TOKENS.ArchiveEncoder, TOKENS.Clock, TOKENS.Logger, TOKENS.FaultPoints],
  );
  c.bind(RunBackupJob).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, create: CreateBackup, reader: ArchiveReader, clock: Clock, logger: Logger, faults: FaultPoints) =>
      new RunBackupJob(db.jobs, blobs, create, clock, logger, { retentionDays: config.backup.retentionDays },
        // No database: verification checks the archive alone, not what a restore would change.
        new ValidateArchive(reader, null, clock), faults),
    [TOKENS.Database, TOKENS.BlobStore, CreateBackup, ARCHIVE_TOKENS.Reader, TOKENS.Clock, TOKENS.Logger, TOKENS.FaultPoints],
  );
  c.bind(RecoverBackupJobs).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, clock: Clock, logger: Logger) => new RecoverBackupJobs(db.jobs, blobs, clock, logger, isDeadWorkerTag),
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.Clock, TOKENS.Logger],
  );
  c.bind(ApplyRetention).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, clock: Clock, logger: Logger) =>
      new ApplyRetention(db.jobs, blobs, clock, logger, { keepCount: config.backup.retentionCount }),
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.Clock, TOKENS.Logger],
  );
  c.bind(BackupWorker).toResolvedValue(
    (db: DatabaseBackend, run: RunBackupJob, recover: RecoverBackupJobs, retention: ApplyRetention, logger: Logger, workerId: string) =>
      new BackupWorker(db.jobs, db.locks, run, recover, retention, logger, { workerId, lockHolder: localHolder('backup'), isDeadHolder }),
    [TOKENS.Database, RunBackupJob, RecoverBackupJobs, ApplyRetention, TOKENS.Logger, BACKUP_TOKENS.WorkerId],
  );
  c.bind(QueueBackup).toResolvedValue(
    (db: DatabaseBackend, worker: BackupWorker) => new QueueBackup(db.jobs, db.accounts, () => worker.wake()),
    [TOKENS.Database, BackupWorker],
  );
  c.bind(BackupScheduler).toResolvedValue(
    (queue: QueueBackup, db: DatabaseBackend, clock: Clock, logger: Logger) =>
      new BackupScheduler(config.backup.schedule ? parseCron(config.backup.schedule) : undefined, queue, db.locks, clock, logger, localHolder('scheduler')),
    [QueueBackup, TOKENS.Database, TOKENS.Clock, TOKENS.Logger],
  );
  c.bind(DeleteBackup).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, logger: Logger) => new DeleteBackup(db.jobs, blobs, logger),
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.Logger],
  );
  c.bind(GetBackupJobs).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, logger: Logger) => new GetBackupJobs(db.jobs, blobs, logger),
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.Logger],
  );
  c.bind(GetBackupStatus).toResolvedValue(
    (db: DatabaseBackend, scheduler: BackupScheduler) => new GetBackupStatus(db.jobs, config.backup, () => scheduler.nextRunAt()),
    [TOKENS.Database, BackupScheduler],
  );
  c.bind<BackgroundService>(HTTP_TOKENS.BackgroundService).toResolvedValue((worker: BackupWorker) => worker, [BackupWorker]);
  c.bind<BackgroundService>(HTTP_TOKENS.BackgroundService).toResolvedValue((scheduler: BackupScheduler) => scheduler, [BackupScheduler]);
  c.bind<AdminRouteContribution>(HTTP_TOKENS.AdminRoute).toResolvedValue(
    (queue: QueueBackup, remove: DeleteBackup, view: GetBackupJobs, blobs: BlobStore, status: GetBackupStatus) =>
      backupRouter().backupRoutes({ queue, remove, view, blobs, status: () => status.execute() }),
    [QueueBackup, DeleteBackup, GetBackupJobs, TOKENS.BlobStore, GetBackupStatus],
  );
}
