import assert from 'node:assert/strict';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { AviaryPlugin, Env } from '../../src/plugins/plugin-api';
import { filesystemPlugin } from '../../src/plugins/builtin/filesystem.plugin';
import { s3Plugin } from '../../src/plugins/builtin/s3.plugin';
import { PluginRegistrationError, PluginRegistry } from '../../src/plugins/registry';
import { blobStoreContract } from '../contract/blob-store.contract';
import { memoryStoragePlugin } from '../plugins/memory-storage';

const logger = { info() {}, warn() {}, error() {}, debug() {} };
const dataDir = '/nonexistent-data-dir'; // the memory backend never touches DATA_DIR

/** The built-ins plus a third-party plugin, the way an embedding app would set it up. */
function registry(): PluginRegistry {
  return new PluginRegistry().use(filesystemPlugin).use(s3Plugin).use(memoryStoragePlugin);
}

async function storeFor(env: Env): Promise<BlobStore> {
  const resolved = registry().resolveStorage(env.STORAGE_BACKEND ?? 'filesystem', env, dataDir);
  if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
  return resolved.backend.definition.create(resolved.backend.options, { dataDir, logger });
}

describe('a third-party storage plugin (memory)', () => {
  blobStoreContract('memory (third-party plugin)', async () => {
    const store = await storeFor({ STORAGE_BACKEND: 'memory', MEMORY_STORAGE_MAX_BYTES: String(512 * 1024 * 1024) });
    assert.equal(store.kind, 'memory');
    return { store, cleanup: async () => undefined };
  });

  it('is listed next to the built-in kinds', () => {
    assert.deepEqual(registry().storageKinds(), ['filesystem', 's3', 'memory']);
  });

  it('registering the kind "memory" twice throws PluginRegistrationError naming both plugins', () => {
    const impostor: AviaryPlugin = { name: 'another-memory-plugin', register: (api) => memoryStoragePlugin.register(api) };
    assert.throws(() => registry().use(impostor), (e: Error) =>
      e instanceof PluginRegistrationError && /"memory"/.test(e.message)
      && e.message.includes('another-memory-plugin') && e.message.includes(memoryStoragePlugin.name));
  });

  it('reports a bad option value naming MEMORY_STORAGE_MAX_BYTES', () => {
    for (const value of ['lots', '-5', '1.5']) {
      const resolved = registry().resolveStorage('memory', { STORAGE_BACKEND: 'memory', MEMORY_STORAGE_MAX_BYTES: value }, dataDir);
      assert.equal(resolved.ok, false, value);
      assert.match(!resolved.ok ? resolved.problems.join('\n') : '', /^MEMORY_STORAGE_MAX_BYTES: .*storage "memory"/m, value);
    }
  });

  it('enforces its own limit: a put over MEMORY_STORAGE_MAX_BYTES fails and stores nothing', async () => {
    const store = await storeFor({ STORAGE_BACKEND: 'memory', MEMORY_STORAGE_MAX_BYTES: '10' });
    async function* body() { yield Buffer.alloc(11); }
    await assert.rejects(store.put('users/u/pdfs/big.pdf', body()), (e: Error & { code?: string }) => e.code === 'storage_full');
    assert.equal(await store.stat('users/u/pdfs/big.pdf'), null);
  });
});
