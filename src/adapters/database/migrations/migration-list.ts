import type { MigrationObject } from '@mikro-orm/core';
import { MIGRATION_NAMES, type MigrationName } from './migration-names';
import { AviarySchemaMigration } from './0001-aviary-schema.migration';
import { ServiceTablesMigration } from './0002-service-tables.migration';
import { RestoreUploadProgressMigration } from './0003-restore-upload-progress.migration';
import { BackupVerifiedMigration } from './0004-backup-verified.migration';
import { AuthAttemptsAndRevocationsMigration } from './0005-auth-attempts-and-revocations.migration';
import { RestoreRunsMigration } from './0006-restore-runs.migration';
import { StructuredLocksAndRestoreCommitsMigration } from './0007-structured-locks-and-restore-commits.migration';

export { MIGRATIONS_TABLE } from './migration-names';

/** Each migration's class, by its name (the type makes every name of MIGRATION_NAMES have one). */
const CLASSES: Record<MigrationName, MigrationObject['class']> = {
  '0001-aviary-schema': AviarySchemaMigration,
  '0002-service-tables': ServiceTablesMigration,
  '0003-restore-upload-progress': RestoreUploadProgressMigration,
  '0004-backup-verified': BackupVerifiedMigration,
  '0005-auth-attempts-and-revocations': AuthAttemptsAndRevocationsMigration,
  '0006-restore-runs': RestoreRunsMigration,
  '0007-structured-locks-and-restore-commits': StructuredLocksAndRestoreCommitsMigration,
};

/** Every migration, oldest first. Never edit one that has shipped: add a new one (migration-names.ts). */
export const MIGRATIONS: MigrationObject[] = MIGRATION_NAMES.map((name) => ({ name, class: CLASSES[name] }));
