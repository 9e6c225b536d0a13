import { join } from 'node:path';
import type { CliServices, OpenCliServices } from './adapters/cli/cli-services';
import type { DatabaseBackend } from './application/ports/database.port';
import { TOKENS } from './application/ports/tokens';
import { CreateBackup } from './application/use-cases/create-backup.use-case';
import { MigrateSingleToMulti } from './application/use-cases/migrate-single-to-multi.use-case';
import { QueueBackup } from './application/use-cases/queue-backup.use-case';
import { ResetPassword } from './application/use-cases/reset-password.use-case';
import { RestoreBackup } from './application/use-cases/restore-backup.use-case';
import { RunBackupJob } from './application/use-cases/run-backup-job.use-case';
import { ValidateArchive } from './application/use-cases/validate-archive.use-case';
import { bootService, INITIAL_PASSWORD_FILE } from './boot';

/**
 * The CLI's composition root: the service booted as the server boots it, minus workers and schedules,
 * and the use cases the commands call. Each is built on first use.
 */
export const openCliServices: OpenCliServices = async (env, options = {}): Promise<CliServices> => {
  const service = await bootService({ env, background: false, metrics: false, startupMigration: options.startupMigration });
  const c = service.container;
  return {
    dataDir: service.config.dataDir,
    multiUser: service.config.multiUser,
    initialPasswordFile: join(service.config.dataDir, INITIAL_PASSWORD_FILE),
    database: c.get<DatabaseBackend>(TOKENS.Database),
    get createBackup() { return c.get(CreateBackup); },
    get queueBackup() { return c.get(QueueBackup); },
    get runBackupJob() { return c.get(RunBackupJob); },
    get restore() { return c.get(RestoreBackup); },
    get validate() { return c.get(ValidateArchive); },
    get resetPassword() { return c.get(ResetPassword); },
    get singleToMulti() { return c.get(MigrateSingleToMulti); },
    close: () => service.close(),
  };
};
