'use strict';
const { createFromRegistry, databaseStoresContract, recordStoreContract } = require('aviary-backup/testing');
const plugin = require('..');
const { scratchDatabase } = require('./server');

/** A backend on a new empty MariaDB database, built as the service builds it: registry → options from DB_* → create. */
async function freshBackend() {
  const database = await scratchDatabase();
  const db = await createFromRegistry(plugin, 'mariadb', database.env, '/nonexistent-data-dir');
  return { db, database };
}

// The published database contracts against a real MariaDB server: rows and accounts, then each store.
recordStoreContract('mariadb (outside plugin)', async () => {
  const { db, database } = await freshBackend();
  return {
    db,
    timeFractionDigits: 6,
    async cleanup() {
      await db.close();
      await database.drop();
    },
  };
});

databaseStoresContract('mariadb (outside plugin)', async () => {
  const { db, database } = await freshBackend();
  return { db, cleanup: () => database.drop() };
});
