'use strict';
// Backup → verify → restore with STORAGE_BACKEND=sftp on the standalone server of the installed
// package (node_modules/aviary-backup/dist/server.js), which loads this package from AVIARY_PLUGINS as
// a deployment would: the archive is written to and read back from the SSH server, and so are the
// documents.
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { mkdtemp, rm } = require('node:fs/promises');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { PluginRegistry } = require('aviary-backup');
const { startStandaloneServer } = require('aviary-backup/testing');
const plugin = require('..');
const { scratchRoot } = require('./server');

const PACKAGE_DIR = join(__dirname, '..');

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('backup → verify → restore on SFTP storage, standalone server with AVIARY_PLUGINS', function () {
  this.timeout(180_000);
  let scratch, dataDir, server, store;

  before(async () => {
    scratch = await scratchRoot();
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-sftp-cycle-'));
    server = await startStandaloneServer({ ...scratch.env, AVIARY_PLUGINS: PACKAGE_DIR, DATA_DIR: dataDir }, { cwd: PACKAGE_DIR });
    // A second connection to the same folder, as an operator's tool would have.
    const resolved = new PluginRegistry().use(plugin).resolveStorage('sftp', scratch.env, dataDir);
    store = await resolved.backend.definition.create(resolved.backend.options, { dataDir, logger: console });
  });

  after(async () => {
    await store?.close();
    await server?.stop();
    await scratch?.remove();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('/readyz names the plugin\'s storage kind', () => {
    assert.equal(server.ready.storage.kind, 'sftp');
  });

  it('a document deleted after the backup is back, byte for byte, after the restore', async () => {
    const me = (await server.api('GET', '/api/auth/check')).body.user;
    const key = `users/${me.id}/pdfs/Bücher/Vol. 1 — 50% #1.pdf`;
    const content = randomBytes(300_000);
    await store.put(key, (async function* () { yield content; })());

    const { job, archive } = await server.backup();
    assert.equal(job.verified, true, 'the finished archive was re-read and every checksum matched');
    const backups = (await store.listPage('backups/')).items.map((i) => i.key);
    assert.ok(backups.some((k) => k.endsWith(job.filename)), `the archive is on the SSH server: ${backups.join(', ')}`);

    await store.delete(key);
    assert.equal(await store.stat(key), null);

    await server.restore(archive, job.filename);
    assert.deepEqual(await readAll(await store.get(key)), content);
  });
});
