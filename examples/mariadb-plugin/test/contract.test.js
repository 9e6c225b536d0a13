'use strict';
const { recordStoreContract, createFromRegistry } = require('aviary-backup/testing');
const plugin = require('..');
const { scratchDatabase } = require('./server');

// The published database contract against a real MariaDB server, the backend built as the service
// builds it: registry → options from DB_* → create.
recordStoreContract('mariadb (outside plugin)', async () => {
  const database = await scratchDatabase();
  const db = await createFromRegistry(plugin, 'mariadb', database.env, '/nonexistent-data-dir');
  return {
    db,
    timeFractionDigits: 6,
    async cleanup() {
      await db.close();
      await database.drop();
    },
  };
});
