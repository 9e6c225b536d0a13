'use strict';
// Backup → verify → restore with DB_TYPE=mariadb on the standalone server of the installed package
// (node_modules/aviary-backup/dist/server.js), which loads this package from AVIARY_PLUGINS as a
// deployment would; the steps go through its HTTP API.
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { mkdtemp, rm } = require('node:fs/promises');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { PluginRegistry } = require('aviary-backup');
const { startStandaloneServer } = require('aviary-backup/testing');
const plugin = require('..');
const { scratchDatabase } = require('./server');

const PACKAGE_DIR = join(__dirname, '..');

describe('backup → verify → restore on MariaDB, standalone server with AVIARY_PLUGINS', function () {
  this.timeout(180_000);
  let database, dataDir, server, db;

  before(async () => {
    database = await scratchDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-mariadb-cycle-'));
    server = await startStandaloneServer({ ...database.env, AVIARY_PLUGINS: PACKAGE_DIR, DATA_DIR: dataDir }, { cwd: PACKAGE_DIR });
    // A second handle on the same database, as an operator's tool would have.
    const resolved = new PluginRegistry().use(plugin).resolveDatabase('mariadb', database.env, dataDir);
    db = await resolved.backend.definition.create(resolved.backend.options, { dataDir, logger: console });
  });

  after(async () => {
    await db?.close();
    await server?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('/readyz names the plugin\'s database kind', () => {
    assert.equal(server.ready.database.kind, 'mariadb');
  });

  it('a user deleted after the backup is back, byte for byte, after the restore', async () => {
    const user = await db.accounts.createUser({ username: `zoë-${randomUUID().slice(0, 8)}`, email: 'zoe@example.org', passwordHash: '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', isAdmin: false });
    const rowsOf = (id) => db.records.readSnapshot(async (reader) => {
      const rows = [];
      for await (const row of reader.stream('users', { column: 'id', in: [id] })) rows.push(row);
      return rows;
    });
    const before = await rowsOf(user.id);
    assert.equal(before.length, 1);

    const { job, archive } = await server.backup();
    assert.equal(job.verified, true, 'the finished archive was re-read and every checksum matched');

    await db.records.writeTransaction((w) => w.delete('users', { column: 'id', in: [user.id] }));
    assert.deepEqual(await rowsOf(user.id), []);

    await server.restore(archive, job.filename);
    assert.deepEqual(await rowsOf(user.id), before);
  });
});
