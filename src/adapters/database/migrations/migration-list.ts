import type { MigrationObject } from '@mikro-orm/core';
import { AviarySchemaMigration } from './0001-aviary-schema.migration';
import { ServiceTablesMigration } from './0002-service-tables.migration';
import { RestoreUploadProgressMigration } from './0003-restore-upload-progress.migration';
import { BackupVerifiedMigration } from './0004-backup-verified.migration';
import { AuthAttemptsAndRevocationsMigration } from './0005-auth-attempts-and-revocations.migration';
import { RestoreRunsMigration } from './0006-restore-runs.migration';
import { StructuredLocksAndRestoreCommitsMigration } from './0007-structured-locks-and-restore-commits.migration';

/** Bookkeeping table of applied migrations (kept apart from Aviary's own tables). */
export const MIGRATIONS_TABLE = 'aviary_backup_migrations';

/**
 * Every migration, oldest first. Add a new one by appending `{ name: '000N-…', class }`; never
 * rename, reorder or edit an entry that has shipped — databases record the names they applied.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: '0001-aviary-schema', class: AviarySchemaMigration },
  { name: '0002-service-tables', class: ServiceTablesMigration },
  { name: '0003-restore-upload-progress', class: RestoreUploadProgressMigration },
  { name: '0004-backup-verified', class: BackupVerifiedMigration },
  { name: '0005-auth-attempts-and-revocations', class: AuthAttemptsAndRevocationsMigration },
  { name: '0006-restore-runs', class: RestoreRunsMigration },
  { name: '0007-structured-locks-and-restore-commits', class: StructuredLocksAndRestoreCommitsMigration },
];
