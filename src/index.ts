import 'reflect-metadata';

/** Public entry: embed the service in an Express app, or extend it with plugins. */
export { createAviaryBackup, INITIAL_PASSWORD_FILE } from './aviary-backup';
export type { AviaryBackup, AviaryBackupOptions, HostUser, StartReport } from './aviary-backup';
export { ConfigError } from './adapters/config/app-config';
export type { AppConfig } from './adapters/config/app-config';
export type { AviaryPlugin, PluginApi, PluginContext, DatabaseDefinition, StorageDefinition, BackendDefinition, Env } from './plugins/plugin-api';
export { PluginRegistry, PluginRegistrationError } from './plugins/registry';
export type { BlobStore, BlobInfo, ByteStream, ListPage } from './application/ports/blob-store.port';
export type { DatabaseBackend } from './application/ports/database.port';
export type { RecordStore, RecordReader, RecordWriter, RowFilter } from './application/ports/record-store.port';
export type { AccountStore } from './application/ports/account-store.port';
export type { Logger } from './application/ports/system.port';
export * from './domain/errors';
export { assertValidKey, assertValidPrefix, keyProblem } from './domain/storage-key';
export type { Engine, Dialect } from './adapters/database/engine';
export { createEngineDatabase, MikroOrmDatabase } from './adapters/database/mikro-orm.database';
