import type { Container } from 'inversify';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { Clock, IdGenerator, Logger } from '../application/ports/system.port';
import type { FaultPoints } from '../application/ports/fault-points.port';
import { TOKENS } from '../application/ports/tokens';
import { AnalyzeRestoreUpload } from '../application/use-cases/analyze-restore-upload.use-case';
import { DeleteRestoreUpload } from '../application/use-cases/delete-restore-upload.use-case';
import { ExpireRestoreRuns } from '../application/use-cases/expire-restore-runs.use-case';
import { ExpireRestoreUploads } from '../application/use-cases/expire-restore-uploads.use-case';
import { GetRestoreUploadStatus } from '../application/use-cases/get-restore-upload-status.use-case';
import { OpenRestoreUpload } from '../application/use-cases/open-restore-upload.use-case';
import { ReceiveRestoreUpload } from '../application/use-cases/receive-restore-upload.use-case';
import { RunningAnalyses } from '../application/use-cases/restore-uploads/running-analyses';
import { RunCleanup } from '../application/use-cases/run-cleanup.use-case';
import { ValidateArchive } from '../application/use-cases/validate-archive.use-case';
import type { AppConfig } from '../adapters/config/app-config';
import type { BackgroundService } from '../adapters/jobs/background-service';
import { RestoreUploadJanitor } from '../adapters/jobs/restore-upload-janitor';
import type { AdminRouteContribution } from '../adapters/http/create-router';
import { HTTP_TOKENS } from './http-tokens';

// Required when the server mounts its routes: the CLI builds this container without loading express.
const cleanupRouter = () => require('../adapters/http/cleanup.router') as typeof import('../adapters/http/cleanup.router');
const restoreUploadRouter = () => require('../adapters/http/restore-upload.router') as typeof import('../adapters/http/restore-upload.router');

/** Storage backends that can remove partial writes left by dead processes (the filesystem one can). */
interface SweepsTemp {
  sweepAbandonedTemp(): Promise<number>;
}

const sweepsTemp = (blobs: BlobStore): blobs is BlobStore & SweepsTemp =>
  typeof (blobs as Partial<SweepsTemp>).sweepAbandonedTemp === 'function';

/**
 * Restore uploads (upload, list, analyze, progress, delete, expiry), analysis of an archive as it
 * arrives, and the admin cleanup. Restore itself reads uploads through OpenRestoreUpload.
 */
export function restoreUploadModule(c: Container, config: AppConfig): void {
  c.bind(RunningAnalyses).toConstantValue(new RunningAnalyses());
  c.bind(ReceiveRestoreUpload).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, ids: IdGenerator, clock: Clock, faults: FaultPoints) =>
      new ReceiveRestoreUpload(db.uploads, blobs, ids, clock, { retentionHours: config.uploadRetentionHours }, faults),
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.Ids, TOKENS.Clock, TOKENS.FaultPoints],
  );
  c.bind(AnalyzeRestoreUpload).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, validate: ValidateArchive, running: RunningAnalyses, clock: Clock, logger: Logger) =>
      new AnalyzeRestoreUpload(db.uploads, blobs, validate, running, clock, logger),
    [TOKENS.Database, TOKENS.BlobStore, ValidateArchive, RunningAnalyses, TOKENS.Clock, TOKENS.Logger],
  );
  c.bind(GetRestoreUploadStatus).toResolvedValue(
    (db: DatabaseBackend, running: RunningAnalyses, clock: Clock) => new GetRestoreUploadStatus(db.uploads, running, clock),
    [TOKENS.Database, RunningAnalyses, TOKENS.Clock],
  );
  c.bind(DeleteRestoreUpload).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, running: RunningAnalyses) => new DeleteRestoreUpload(db.uploads, blobs, running),
    [TOKENS.Database, TOKENS.BlobStore, RunningAnalyses],
  );
  c.bind(OpenRestoreUpload).toResolvedValue((db: DatabaseBackend, blobs: BlobStore) => new OpenRestoreUpload(db.uploads, blobs), [TOKENS.Database, TOKENS.BlobStore]);
  c.bind(ExpireRestoreUploads).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, running: RunningAnalyses, clock: Clock, logger: Logger) =>
      new ExpireRestoreUploads(db.uploads, blobs, running, clock, logger),
    [TOKENS.Database, TOKENS.BlobStore, RunningAnalyses, TOKENS.Clock, TOKENS.Logger],
  );
  c.bind(RunCleanup).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, expire: ExpireRestoreUploads, clock: Clock) =>
      new RunCleanup(db.housekeeping, expire, clock, sweepsTemp(blobs) ? () => blobs.sweepAbandonedTemp() : undefined),
    [TOKENS.Database, TOKENS.BlobStore, ExpireRestoreUploads, TOKENS.Clock],
  );
  c.bind(RestoreUploadJanitor).toResolvedValue(
    (uploads: ExpireRestoreUploads, runs: ExpireRestoreRuns, running: RunningAnalyses, logger: Logger) =>
      new RestoreUploadJanitor([uploads, runs], running, logger),
    [ExpireRestoreUploads, ExpireRestoreRuns, RunningAnalyses, TOKENS.Logger],
  );

  c.bind<BackgroundService>(HTTP_TOKENS.BackgroundService).toResolvedValue((janitor: RestoreUploadJanitor) => janitor, [RestoreUploadJanitor]);
  c.bind<AdminRouteContribution>(HTTP_TOKENS.AdminRoute).toResolvedValue(
    (db: DatabaseBackend, receive: ReceiveRestoreUpload, analyze: AnalyzeRestoreUpload, status: GetRestoreUploadStatus,
      remove: DeleteRestoreUpload, validate: ValidateArchive) =>
      restoreUploadRouter().restoreUploadRoutes({ maxUploadBytes: config.maxRestoreUploadBytes, uploads: db.uploads, receive, analyze, status, remove, validate }),
    [TOKENS.Database, ReceiveRestoreUpload, AnalyzeRestoreUpload, GetRestoreUploadStatus, DeleteRestoreUpload, ValidateArchive],
  );
  c.bind<AdminRouteContribution>(HTTP_TOKENS.AdminRoute).toResolvedValue((cleanup: RunCleanup) => cleanupRouter().cleanupRoutes(cleanup), [RunCleanup]);
}
