/** Bookkeeping table of applied migrations (kept apart from Aviary's own tables). */
export const MIGRATIONS_TABLE = 'aviary_backup_migrations';

/**
 * The names of every migration, oldest first (migration-list.ts pairs each with its class). Add a
 * new one by appending; never rename or reorder a name that has shipped — databases record the
 * names they applied. Kept apart from the classes so that a start can tell whether anything is
 * pending without loading MikroORM's migrator.
 */
export const MIGRATION_NAMES = [
  '0001-aviary-schema',
  '0002-service-tables',
  '0003-restore-upload-progress',
  '0004-backup-verified',
  '0005-auth-attempts-and-revocations',
  '0006-restore-runs',
  '0007-structured-locks-and-restore-commits',
] as const;

export type MigrationName = (typeof MIGRATION_NAMES)[number];
