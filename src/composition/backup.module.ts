import type { Container } from 'inversify';
import type { ArchiveEncoder } from '../application/ports/archive-encoder.port';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { Clock, Logger } from '../application/ports/system.port';
import type { FaultPoints } from '../application/ports/fault-points.port';
import { TOKENS } from '../application/ports/tokens';
import { ApplyRetention } from '../application/use-cases/apply-retention.use-case';
import { CreateBackup } from '../application/use-cases/create-backup.use-case';
import { GetBackupJobs } from '../application/use-cases/get-backup-jobs.use-case';
import { GetBackupStatus } from '../application/use-cases/get-backup-status.use-case';
import { RecoverBackupJobs } from '../application/use-cases/recover-backup-jobs.use-case';
import { RunBackupJob } from '../application/use-cases/run-backup-job.use-case';
import { ValidateArchive } from '../application/use-cases/validate-archive.use-case';
import type { ArchiveReader } from '../application/ports/archive-reader.port';
import { TarGzArchiveEncoder } from '../adapters/archive/tar-gz.archive-encoder';
import type { AppConfig } from '../adapters/config/app-config';
import { backupRoutes } from '../adapters/http/backup.router';
import { BackupScheduler } from '../adapters/jobs/backup-scheduler';
import { BackupWorker } from '../adapters/jobs/backup-worker';
import { isDeadHolder, isDeadWorkerTag, localHolder, PROCESS_TAG } from '../adapters/system/process-liveness';
import { parseCron } from '../domain/cron';
import { SERVICE_VERSION } from '../service-version';
import { HTTP_TOKENS } from './http-tokens';
import { ARCHIVE_TOKENS } from './restore.module';

export const BACKUP_TOKENS = {
  ArchiveEncoder: Symbol.for('aviary.ArchiveEncoder'),
  WorkerId: Symbol.for('aviary.WorkerId'),
} as const;

/** CreateBackup, its job queue, worker, schedule, retention and the backup endpoints. */
export function backupModule(c: Container, config: AppConfig): void {
  const faults = () => c.get<FaultPoints>(TOKENS.FaultPoints);
  c.bind(BACKUP_TOKENS.WorkerId).toConstantValue(PROCESS_TAG);
  c.bind<ArchiveEncoder>(BACKUP_TOKENS.ArchiveEncoder).toConstantValue(new TarGzArchiveEncoder());
  const db = () => c.get<DatabaseBackend>(TOKENS.Database);
  const blobs = () => c.get<BlobStore>(TOKENS.BlobStore);
  const clock = () => c.get<Clock>(TOKENS.Clock);
  const logger = () => c.get<Logger>(TOKENS.Logger);

  c.bind(CreateBackup).toDynamicValue(
    () => new CreateBackup(db().records, blobs(), c.get<ArchiveEncoder>(BACKUP_TOKENS.ArchiveEncoder), clock(), logger(), SERVICE_VERSION, faults()),
  );
  c.bind(RunBackupJob).toDynamicValue(
    () =>
      new RunBackupJob(db().jobs, blobs(), c.get(CreateBackup), clock(), logger(), { retentionDays: config.backup.retentionDays },
        // No database: verification checks the archive alone, not what a restore would change.
        new ValidateArchive(c.get<ArchiveReader>(ARCHIVE_TOKENS.Reader), null, clock()), faults()),
  );
  c.bind(RecoverBackupJobs).toDynamicValue(() => new RecoverBackupJobs(db().jobs, blobs(), clock(), logger(), isDeadWorkerTag));
  c.bind(ApplyRetention).toDynamicValue(
    () => new ApplyRetention(db().jobs, blobs(), clock(), logger(), { keepCount: config.backup.retentionCount }),
  );
  c.bind(BackupWorker).toDynamicValue(
    () =>
      new BackupWorker(db().jobs, db().locks, c.get(RunBackupJob), c.get(RecoverBackupJobs), c.get(ApplyRetention), logger(), {
        workerId: c.get<string>(BACKUP_TOKENS.WorkerId),
        lockHolder: localHolder('backup'),
        isDeadHolder,
      }),
  );
  c.bind(BackupScheduler).toDynamicValue(
    () =>
      new BackupScheduler(
        config.backup.schedule ? parseCron(config.backup.schedule) : undefined,
        db().jobs,
        db().locks,
        clock(),
        logger(),
        localHolder('scheduler'),
        () => c.get(BackupWorker).wake(),
      ),
  );
  c.bind(GetBackupJobs).toDynamicValue(() => new GetBackupJobs(db().jobs, blobs(), logger()));
  c.bind(GetBackupStatus).toDynamicValue(
    () => new GetBackupStatus(db().jobs, config.backup, () => c.get(BackupScheduler).nextRunAt()),
  );
  c.bind(HTTP_TOKENS.BackgroundService).toDynamicValue(() => c.get(BackupWorker));
  c.bind(HTTP_TOKENS.BackgroundService).toDynamicValue(() => c.get(BackupScheduler));
  c.bind(HTTP_TOKENS.AdminRoute).toDynamicValue(() =>
    backupRoutes({
      jobs: db().jobs,
      view: c.get(GetBackupJobs),
      blobs: blobs(),
      accounts: db().accounts,
      wake: () => c.get(BackupWorker).wake(),
      status: () => c.get(GetBackupStatus).execute(),
    }),
  );
}
