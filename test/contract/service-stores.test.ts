import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresPlugin } from '../../src/plugins/builtin/postgres.plugin';
import { sqlitePlugin } from '../../src/plugins/builtin/sqlite.plugin';
import {
  attemptCounterStoreContract, createFromRegistry, databaseStoresContract, lockStoreContract, migrationRunStoreContract,
  restoreUploadStoreContract,
} from '../../src/testing';
import { InMemoryAttemptCounterStore } from '../fakes/in-memory.attempt-counter-store';
import { InMemoryLockStore } from '../fakes/in-memory.lock-store';
import { InMemoryMigrationRunStore } from '../fakes/in-memory.migration-run-store';
import { InMemoryRestoreUploadStore } from '../fakes/in-memory.restore-upload-store';
import { createTestDatabase, pgConnection, requirePostgres } from '../support/postgres';

// The published store suites, against both built-in databases and the in-memory fakes the use-case tests use.
databaseStoresContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-stores-'));
  const db = await createFromRegistry(sqlitePlugin, 'sqlite', { DB_PATH: join(dir, 'aviary.db') }, dir);
  return { db, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('postgres stores', function () {
  before(async function () {
    await requirePostgres(this);
  });
  databaseStoresContract('postgres', async () => {
    const database = await createTestDatabase();
    const { host, port, user, password } = pgConnection();
    const env = { DB_HOST: host, DB_PORT: String(port), DB_USER: user, DB_PASSWORD: password, DB_NAME: database.name, DB_SSLMODE: 'disable' };
    const db = await createFromRegistry(postgresPlugin, 'postgres', env, '/data');
    return { db, cleanup: () => database.drop() };
  });
});

lockStoreContract('in-memory fake', async () => ({ store: new InMemoryLockStore() }));
attemptCounterStoreContract('in-memory fake', async () => ({ store: new InMemoryAttemptCounterStore() }));
migrationRunStoreContract('in-memory fake', async () => ({ store: new InMemoryMigrationRunStore() }));
restoreUploadStoreContract('in-memory fake', async () => ({ store: new InMemoryRestoreUploadStore() }));
