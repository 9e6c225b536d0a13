import type { DatabaseBackend } from '../../application/ports/database.port';
import type { CreateBackup } from '../../application/use-cases/create-backup.use-case';
import type { MigrateSingleToMulti } from '../../application/use-cases/migrate-single-to-multi.use-case';
import type { QueueBackup } from '../../application/use-cases/queue-backup.use-case';
import type { ResetPassword } from '../../application/use-cases/reset-password.use-case';
import type { RestoreBackup } from '../../application/use-cases/restore-backup.use-case';
import type { RunBackupJob } from '../../application/use-cases/run-backup-job.use-case';
import type { ValidateArchive } from '../../application/use-cases/validate-archive.use-case';
import type { Env } from '../../plugins/plugin-api';

/**
 * What the commands use of a started service: the same use cases as the API. The CLI's composition root
 * (src/cli-services.ts) starts the service without workers or schedules and provides these.
 */
export interface CliServices {
  readonly dataDir: string;
  readonly multiUser: boolean;
  /** Where the first start saved the generated admin password (may be gone). */
  readonly initialPasswordFile: string;
  readonly database: DatabaseBackend;
  readonly createBackup: CreateBackup;
  readonly queueBackup: QueueBackup;
  readonly runBackupJob: RunBackupJob;
  readonly restore: RestoreBackup;
  readonly validate: ValidateArchive;
  readonly resetPassword: ResetPassword;
  readonly singleToMulti: MigrateSingleToMulti;
  close(): Promise<void>;
}

export interface CliServiceOptions {
  /** Run the single-user → multi-user migration at start (default true). */
  readonly startupMigration?: boolean;
}

export type OpenCliServices = (env: Env, options?: CliServiceOptions) => Promise<CliServices>;
