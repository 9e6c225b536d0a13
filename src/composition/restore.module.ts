import { join } from 'node:path';
import type { Container } from 'inversify';
import type { ArchiveReader } from '../application/ports/archive-reader.port';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { FaultPoints } from '../application/ports/fault-points.port';
import type { Clock, IdGenerator, Logger } from '../application/ports/system.port';
import { TOKENS } from '../application/ports/tokens';
import { OpenRestoreUpload } from '../application/use-cases/open-restore-upload.use-case';
import { RecoverRestores } from '../application/use-cases/recover-restores.use-case';
import { RestoreBackup } from '../application/use-cases/restore-backup.use-case';
import { RestoreFromUpload } from '../application/use-cases/restore-from-upload.use-case';
import { RunBackupJob } from '../application/use-cases/run-backup-job.use-case';
import { ValidateArchive } from '../application/use-cases/validate-archive.use-case';
import { TarGzArchiveReader } from '../adapters/archive/tar-gz.archive-reader';
import type { AppConfig } from '../adapters/config/app-config';
import { restoreRoutes } from '../adapters/http/restore.router';
import { JsonlRowSpoolFactory } from '../adapters/restore/jsonl.row-spool';
import { isDeadHolder, localHolder, PROCESS_TAG, THIS_PROCESS } from '../adapters/system/process-liveness';
import { HTTP_TOKENS, type StartupTask } from './http-tokens';

const RECOVERY_RETRY_MAX_MS = 60_000;

export const ARCHIVE_TOKENS = {
  Reader: Symbol.for('aviary.ArchiveReader'),
} as const;

/** Binds the archive reader and ValidateArchive once, whichever feature module comes first. */
export function bindArchiveReading(c: Container): void {
  if (!c.isBound(ARCHIVE_TOKENS.Reader)) c.bind<ArchiveReader>(ARCHIVE_TOKENS.Reader).toConstantValue(new TarGzArchiveReader());
  if (!c.isBound(ValidateArchive)) {
    c.bind(ValidateArchive).toDynamicValue(
      () => new ValidateArchive(c.get<ArchiveReader>(ARCHIVE_TOKENS.Reader), c.get<DatabaseBackend>(TOKENS.Database).records, c.get<Clock>(TOKENS.Clock)),
    );
  }
}

/** RestoreBackup, its crash recovery at start, and `POST /api/admin/restore`. */
export function restoreModule(c: Container, config: AppConfig): void {
  bindArchiveReading(c);
  const db = () => c.get<DatabaseBackend>(TOKENS.Database);
  const blobs = () => c.get<BlobStore>(TOKENS.BlobStore);
  const spools = new JsonlRowSpoolFactory(join(config.dataDir, 'tmp-restore'));

  c.bind(RestoreBackup).toDynamicValue(
    () =>
      new RestoreBackup({
        db: db(),
        blobs: blobs(),
        reader: c.get<ArchiveReader>(ARCHIVE_TOKENS.Reader),
        validate: c.get(ValidateArchive),
        runBackup: c.get(RunBackupJob),
        spools,
        clock: c.get<Clock>(TOKENS.Clock),
        ids: c.get<IdGenerator>(TOKENS.Ids),
        logger: c.get<Logger>(TOKENS.Logger),
        processTag: PROCESS_TAG,
        process: THIS_PROCESS,
        faults: c.get<FaultPoints>(TOKENS.FaultPoints),
        isDeadHolder,
      }),
  );
  c.bind(RestoreFromUpload).toDynamicValue(
    () => new RestoreFromUpload(c.get(OpenRestoreUpload), c.get(RestoreBackup), db().uploads, blobs(), c.get<Logger>(TOKENS.Logger)),
  );
  c.bind(RecoverRestores).toDynamicValue(
    () => new RecoverRestores(db(), blobs(), spools, c.get<Logger>(TOKENS.Logger), isDeadHolder, localHolder('restore')),
  );
  c.bind<StartupTask>(HTTP_TOKENS.StartupTask).toConstantValue(async () => {
    const recover = c.get(RecoverRestores);
    if (!(await recover.execute()).busy) return;
    // Another live process holds the lock (a backup or restore elsewhere): try again until it is free.
    const retry = (delayMs: number) => setTimeout(() => {
      recover.execute().then(
        (result) => { if (result.busy) retry(Math.min(delayMs * 2, RECOVERY_RETRY_MAX_MS)); },
        (error) => c.get<Logger>(TOKENS.Logger).warn('restore recovery failed; the next start tries again', { error }),
      );
    }, delayMs).unref();
    retry(1_000);
  });
  c.bind(HTTP_TOKENS.AdminRoute).toDynamicValue(() =>
    restoreRoutes({ restore: c.get(RestoreFromUpload) }),
  );
}
