import 'reflect-metadata';

/** Public entry: embed the service in an Express app, or extend it with plugins. */
export { createAviaryBackup, INITIAL_PASSWORD_FILE } from './aviary-backup';
export type { AviaryBackup, AviaryBackupOptions, HostUser, StartReport } from './aviary-backup';
export { ConfigError, isConfigError } from './adapters/config/app-config';
export type { AppConfig } from './adapters/config/app-config';
export type {
  AviaryPlugin, PluginApi, PluginContext, DatabaseDefinition, StorageDefinition, BackendDefinition, Env,
  OptionsSchema, OptionsParseResult, OptionsIssue,
} from './plugins/plugin-api';
export { PLUGIN_API_VERSION } from './plugins/plugin-api';
export { PLUGINS_VARIABLE, loadPlugin, loadPlugins, pluginSpecifiers } from './plugins/loader';
export { PluginRegistry, PluginRegistrationError } from './plugins/registry';
export type { BlobStore, BlobInfo, ByteStream, ListPage, PutOptions, GetOptions, ListOptions } from './application/ports/blob-store.port';
export type { DatabaseBackend } from './application/ports/database.port';
export type { RecordStore, RecordReader, RecordWriter, RowFilter } from './application/ports/record-store.port';
export type { Row } from './domain/schema/column';
export type * from './application/ports/account-store.port';
export type { BackupJobStore, NewBackupJob, JobProgress, JobCompletion } from './application/ports/backup-job-store.port';
export type { BackupJob, BackupOptions, BackupPhase, BackupTrigger, JobStatus } from './domain/backup-job';
export type { LockStore, LockInfo } from './application/ports/lock-store.port';
export { BACKUP_RESTORE_LOCK } from './application/ports/lock-store.port';
export type { AttemptCounterStore, AttemptCounter } from './application/ports/attempt-counter-store.port';
export type { MigrationRunStore, MigrationRun, MigrationRunStatus } from './application/ports/migration-run-store.port';
export type {
  RestoreUploadStore, RestoreUpload, NewRestoreUpload, RestoreUploadChanges, RestoreUploadStatus,
} from './application/ports/restore-upload-store.port';
export type { HousekeepingStore } from './application/ports/housekeeping-store.port';
export type { Logger } from './application/ports/system.port';
export * from './domain/errors';
export { assertValidKey, assertValidPrefix, keyProblem } from './domain/storage-key';
export type { Engine, Dialect } from './adapters/database/engine';
export { createEngineDatabase, MikroOrmDatabase } from './adapters/database/mikro-orm.database';
