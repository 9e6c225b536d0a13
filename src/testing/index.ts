/**
 * `aviary-backup/testing`: the conformance suites a plugin runs under mocha (they call the global
 * describe/it). Three lines in a plugin's test file:
 *
 *   const { blobStoreContract } = require('aviary-backup/testing');
 *   const { createStore } = require('../src');
 *   blobStoreContract('my storage', async () => ({ store: await createStore() }));
 *
 * docs/plugins.md states what each suite checks.
 */
export { blobStoreContract } from './blob-store.contract';
export type { BlobStoreSubject } from './blob-store.contract';
export { createFromRegistry, recordStoreContract, recordStoreContract as databaseContract } from './database.contract';
export type { ContractSubject as DatabaseContractSubject } from './database.contract';
export {
  attemptCounterStoreContract, backupJobStoreContract, databaseStoresContract, housekeepingStoreContract, lockStoreContract,
  migrationRunStoreContract, restoreUploadStoreContract,
} from './service-stores.contract';
export type { HousekeepingSubject, StoreSubject } from './service-stores.contract';
export { rejectsWithCategory, rejectsWithCode } from './assert-domain-error';
export { startStandaloneServer } from './standalone-server';
export type { ApiResponse, StandaloneServer } from './standalone-server';
