import { join } from 'node:path';
import type { Container } from 'inversify';
import type { ArchiveReader } from '../application/ports/archive-reader.port';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { FaultPoints } from '../application/ports/fault-points.port';
import type { Clock, IdGenerator, Logger } from '../application/ports/system.port';
import { TOKENS } from '../application/ports/tokens';
import { ExpireRestoreRuns } from '../application/use-cases/expire-restore-runs.use-case';
import { GetRestoreStatus } from '../application/use-cases/get-restore-status.use-case';
import { OpenRestoreUpload } from '../application/use-cases/open-restore-upload.use-case';
import { RecoverRestores } from '../application/use-cases/recover-restores.use-case';
import { RestoreBackup } from '../application/use-cases/restore-backup.use-case';
import { RestoreFromUpload } from '../application/use-cases/restore-from-upload.use-case';
import { StartRestore } from '../application/use-cases/start-restore.use-case';
import { RunBackupJob } from '../application/use-cases/run-backup-job.use-case';
import { ValidateArchive } from '../application/use-cases/validate-archive.use-case';
import type { AppConfig } from '../adapters/config/app-config';
import { JsonlRowSpoolFactory } from '../adapters/restore/jsonl.row-spool';
import { isDeadHolder, localHolder, PROCESS_TAG, THIS_PROCESS } from '../adapters/system/process-liveness';
import type { AdminRouteContribution } from '../adapters/http/create-router';
import { ARCHIVE_TOKENS } from './archive.module';
import { HTTP_TOKENS } from './http-tokens';
import type { StartupTask } from './startup-task';
import { RunsInThisProcess } from '../application/use-cases/restore/restore-runs';

// Required when the server mounts its routes: the CLI builds this container without loading express.
const restoreRouter = () => require('../adapters/http/restore.router') as typeof import('../adapters/http/restore.router');

const RECOVERY_RETRY_MAX_MS = 60_000;

/** RestoreBackup, its crash recovery at start, `POST /api/admin/restore` and the status of background restores. */
export function restoreModule(c: Container, config: AppConfig): void {
  const spools = new JsonlRowSpoolFactory(join(config.dataDir, 'tmp-restore'));

  c.bind(RestoreBackup).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, reader: ArchiveReader, validate: ValidateArchive, runBackup: RunBackupJob,
      clock: Clock, ids: IdGenerator, logger: Logger, faults: FaultPoints) =>
      new RestoreBackup({
        db, blobs, reader, validate, runBackup, spools, clock, ids, logger, faults,
        processTag: PROCESS_TAG,
        process: THIS_PROCESS,
        isDeadHolder,
      }),
    [TOKENS.Database, TOKENS.BlobStore, ARCHIVE_TOKENS.Reader, ValidateArchive, RunBackupJob, TOKENS.Clock, TOKENS.Ids, TOKENS.Logger, TOKENS.FaultPoints],
  );
  c.bind(RestoreFromUpload).toResolvedValue(
    (open: OpenRestoreUpload, restore: RestoreBackup, db: DatabaseBackend, blobs: BlobStore, logger: Logger) =>
      new RestoreFromUpload(open, restore, db.uploads, blobs, logger),
    [OpenRestoreUpload, RestoreBackup, TOKENS.Database, TOKENS.BlobStore, TOKENS.Logger],
  );
  c.bind(RecoverRestores).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, logger: Logger) =>
      new RecoverRestores(db, blobs, spools, logger, isDeadHolder, localHolder('restore')),
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.Logger],
  );
  c.bind<StartupTask>(HTTP_TOKENS.StartupTask).toResolvedValue(
    (recover: RecoverRestores, logger: Logger) => recoverRestoresAtStart(recover, logger),
    [RecoverRestores, TOKENS.Logger],
  );
  // The restores this process executes, seen by both (one per container: one per service).
  const runsHere = new RunsInThisProcess();
  c.bind(StartRestore).toResolvedValue(
    (restore: RestoreFromUpload, db: DatabaseBackend, ids: IdGenerator, clock: Clock, logger: Logger) =>
      new StartRestore(restore, db.restoreRuns, ids, clock, logger, runsHere),
    [RestoreFromUpload, TOKENS.Database, TOKENS.Ids, TOKENS.Clock, TOKENS.Logger],
  );
  c.bind(GetRestoreStatus).toResolvedValue(
    (db: DatabaseBackend, clock: Clock) => new GetRestoreStatus(db.restoreRuns, clock, runsHere),
    [TOKENS.Database, TOKENS.Clock],
  );
  // Finished runs are kept as long as uploads are, then removed by the upload janitor's pass.
  c.bind(ExpireRestoreRuns).toResolvedValue(
    (db: DatabaseBackend, clock: Clock) => new ExpireRestoreRuns(db.restoreRuns, clock, { retentionHours: config.uploadRetentionHours }),
    [TOKENS.Database, TOKENS.Clock],
  );
  c.bind<AdminRouteContribution>(HTTP_TOKENS.AdminRoute).toResolvedValue(
    (start: StartRestore, status: GetRestoreStatus) => restoreRouter().restoreRoutes({ start, status }),
    [StartRestore, GetRestoreStatus],
  );
}

/** Recovers an interrupted restore at start; while another live process holds the lock, tries again until it is free. */
function recoverRestoresAtStart(recover: RecoverRestores, logger: Logger): StartupTask {
  return async () => {
    if (!(await recover.execute()).busy) return;
    const retry = (delayMs: number) => setTimeout(() => {
      recover.execute().then(
        (result) => { if (result.busy) retry(Math.min(delayMs * 2, RECOVERY_RETRY_MAX_MS)); },
        (error) => logger.warn('restore recovery failed; the next start tries again', { error }),
      );
    }, delayMs).unref();
    retry(1_000);
  };
}
