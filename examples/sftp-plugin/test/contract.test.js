'use strict';
const assert = require('node:assert/strict');
const { blobStoreContract } = require('aviary-backup/testing');
const { PluginRegistry } = require('aviary-backup');
const plugin = require('..');
const { scratchRoot } = require('./server');

/** Built as the service builds it: registry → options from SFTP_* → create. */
async function storeFor(env) {
  const resolved = new PluginRegistry().use(plugin).resolveStorage('sftp', env, '/nonexistent-data-dir');
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  return resolved.backend.definition.create(resolved.backend.options, { dataDir: '/nonexistent-data-dir', logger: console });
}

// The published blob store contract against a real OpenSSH server on loopback.
blobStoreContract('sftp (outside plugin, OpenSSH)', async () => {
  const scratch = await scratchRoot();
  return { store: await storeFor(scratch.env), cleanup: scratch.remove };
});

describe('sftp options and failures', () => {
  it('names each missing or malformed variable, and checks nothing else', () => {
    const resolved = new PluginRegistry().use(plugin).resolveStorage('sftp', { SFTP_PORT: 'x', SFTP_ROOT: 'relative' }, '/d');
    assert.equal(resolved.ok, false);
    const text = resolved.problems.join('\n');
    for (const variable of ['SFTP_HOST', 'SFTP_USERNAME', 'SFTP_PORT', 'SFTP_ROOT']) assert.match(text, new RegExp(variable));
  });

  it('a server that refuses the host key fingerprint is unavailable, not trusted', async () => {
    const scratch = await scratchRoot();
    const store = await storeFor({ ...scratch.env, SFTP_HOST_KEY_SHA256: `SHA256:${'A'.repeat(43)}` });
    try {
      await assert.rejects(store.ping(), (e) => e.category === 'unavailable' && e.code === 'storage_unavailable');
    } finally {
      await store.close();
      await scratch.remove();
    }
  });

  it('nothing listening on the port: ping rejects as unavailable naming the server, without the key', async () => {
    const scratch = await scratchRoot();
    const store = await storeFor({ ...scratch.env, SFTP_PORT: '1' });
    try {
      await assert.rejects(store.ping(), (e) => e.code === 'storage_unavailable' && /127\.0\.0\.1:1/.test(e.message) && !/PRIVATE KEY/.test(e.message));
    } finally {
      await store.close();
      await scratch.remove();
    }
  });
});
