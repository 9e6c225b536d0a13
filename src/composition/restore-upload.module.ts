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
import { cleanupRoutes } from '../adapters/http/cleanup.router';
import { restoreUploadRoutes } from '../adapters/http/restore-upload.router';
import { RestoreUploadJanitor } from '../adapters/jobs/restore-upload-janitor';
import { HTTP_TOKENS } from './http-tokens';
import { bindArchiveReading } from './restore.module';

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
  const db = () => c.get<DatabaseBackend>(TOKENS.Database);
  const blobs = () => c.get<BlobStore>(TOKENS.BlobStore);
  const clock = () => c.get<Clock>(TOKENS.Clock);
  const logger = () => c.get<Logger>(TOKENS.Logger);

  c.bind(RunningAnalyses).toConstantValue(new RunningAnalyses());
  bindArchiveReading(c);
  c.bind(ReceiveRestoreUpload).toDynamicValue(
    () => new ReceiveRestoreUpload(db().uploads, blobs(), c.get<IdGenerator>(TOKENS.Ids), clock(), { retentionHours: config.uploadRetentionHours }, c.get<FaultPoints>(TOKENS.FaultPoints)),
  );
  c.bind(AnalyzeRestoreUpload).toDynamicValue(
    () => new AnalyzeRestoreUpload(db().uploads, blobs(), c.get(ValidateArchive), c.get(RunningAnalyses), clock(), logger()),
  );
  c.bind(GetRestoreUploadStatus).toDynamicValue(() => new GetRestoreUploadStatus(db().uploads, c.get(RunningAnalyses), clock()));
  c.bind(DeleteRestoreUpload).toDynamicValue(() => new DeleteRestoreUpload(db().uploads, blobs(), c.get(RunningAnalyses)));
  c.bind(OpenRestoreUpload).toDynamicValue(() => new OpenRestoreUpload(db().uploads, blobs()));
  c.bind(ExpireRestoreUploads).toDynamicValue(
    () => new ExpireRestoreUploads(db().uploads, blobs(), c.get(RunningAnalyses), clock(), logger()),
  );
  c.bind(RunCleanup).toDynamicValue(() => {
    const storage = blobs();
    const sweep = sweepsTemp(storage) ? () => storage.sweepAbandonedTemp() : undefined;
    return new RunCleanup(db().housekeeping, c.get(ExpireRestoreUploads), clock(), sweep);
  });
  c.bind(RestoreUploadJanitor).toDynamicValue(() => new RestoreUploadJanitor([c.get(ExpireRestoreUploads), c.get(ExpireRestoreRuns)], c.get(RunningAnalyses), logger()));

  c.bind(HTTP_TOKENS.BackgroundService).toDynamicValue(() => c.get(RestoreUploadJanitor));
  c.bind(HTTP_TOKENS.AdminRoute).toDynamicValue(() =>
    restoreUploadRoutes({
      maxUploadBytes: config.maxRestoreUploadBytes,
      uploads: db().uploads,
      receive: c.get(ReceiveRestoreUpload),
      analyze: c.get(AnalyzeRestoreUpload),
      status: c.get(GetRestoreUploadStatus),
      remove: c.get(DeleteRestoreUpload),
      validate: c.get(ValidateArchive),
    }),
  );
  c.bind(HTTP_TOKENS.AdminRoute).toDynamicValue(() => cleanupRoutes(c.get(RunCleanup)));
}
