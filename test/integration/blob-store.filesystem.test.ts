import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHIVE_READ_BYTES, type BlobStore } from '../../src/application/ports/blob-store.port';
import { ConflictError, InvalidInputError, UnavailableError } from '../../src/domain/errors';
import { filesystemPlugin } from '../../src/plugins/builtin/filesystem.plugin';
import { PluginRegistry } from '../../src/plugins/registry';
import { blobStoreContract } from '../contract/blob-store.contract';

const logger = { info() {}, warn() {}, error() {}, debug() {} };

/** Builds the store the way the service does: registry → resolveStorage(STORAGE_BACKEND, env) → create. */
async function filesystemStore(dataDir: string): Promise<BlobStore> {
  const env = { STORAGE_BACKEND: 'filesystem', DATA_DIR: dataDir };
  const resolved = new PluginRegistry().use(filesystemPlugin).resolveStorage(env.STORAGE_BACKEND, env, dataDir);
  if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
  return resolved.backend.definition.create(resolved.backend.options, { dataDir, logger });
}

async function* text(value: string) {
  yield Buffer.from(value);
}

describe('filesystem storage', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-fs-store-'));
    await writeFile(join(dataDir, 'aviary.db'), 'not a blob'); // DATA_DIR holds other state too
  });

  blobStoreContract('filesystem', async () => ({ store: await filesystemStore(dataDir), cleanup: async () => undefined }));

  describe('after the contract suite', () => {
    after(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it('left no temp files in .aviary-tmp', async () => {
      assert.deepEqual(await readdir(join(dataDir, '.aviary-tmp')), []);
    });

    it('left the other files of DATA_DIR alone', async () => {
      assert.equal(await readFile(join(dataDir, 'aviary.db'), 'utf8'), 'not a blob');
    });
  });

  describe('layout on disk (docs/archive-format.md)', () => {
    let root: string;
    let store: BlobStore;

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'aviary-fs-layout-'));
      store = await filesystemStore(root);
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('reads in pieces of the size the caller asks for (archive readers ask for small ones), else of 1 MiB', async () => {
      await store.put('big.bin', text('x'.repeat(3 * 1024 * 1024)));
      const sizes = async (readSize?: number) => {
        const seen: number[] = [];
        for await (const chunk of await store.get('big.bin', { readSize })) seen.push(chunk.byteLength);
        return seen;
      };
      assert.ok((await sizes(ARCHIVE_READ_BYTES)).every((n) => n <= ARCHIVE_READ_BYTES));
      assert.equal((await sizes(ARCHIVE_READ_BYTES)).length, (3 * 1024 * 1024) / ARCHIVE_READ_BYTES);
      assert.equal(Math.max(...(await sizes())), 1024 * 1024);
      assert.equal(Math.max(...(await sizes(0))), 1024 * 1024); // not a sensible size: the store's own
    });

    it('stores key K at ${DATA_DIR}/K, as Aviary does', async () => {
      await store.put('users/u1/pdfs/sub/Vol..2.pdf', text('pdf'));
      assert.equal(await readFile(join(root, 'users', 'u1', 'pdfs', 'sub', 'Vol..2.pdf'), 'utf8'), 'pdf');
    });

    it('lists files Aviary wrote directly, and never the temp dir or other DATA_DIR files', async () => {
      await mkdir(join(root, 'users', 'u1', 'pdfs'), { recursive: true });
      await writeFile(join(root, 'users', 'u1', 'pdfs', 'from-aviary.pdf'), 'x');
      await writeFile(join(root, 'aviary.db'), 'db');
      await mkdir(join(root, '.aviary-tmp'), { recursive: true });
      await writeFile(join(root, '.aviary-tmp', 'stale.part'), 'half');
      assert.deepEqual((await store.listPage('users/')).items.map((i) => i.key), ['users/u1/pdfs/from-aviary.pdf']);
      assert.ok(!(await store.listPage('')).items.some((i) => i.key.startsWith('.aviary-tmp')));
      await assert.rejects(store.put('.aviary-tmp/x', text('x')), InvalidInputError);
    });

    it('delete prunes the folders it emptied, up to but not including the root', async () => {
      await store.put('users/u1/pdfs/a/b/c.pdf', text('c'));
      await store.put('users/u1/pdfs/keep.pdf', text('k'));
      await store.delete('users/u1/pdfs/a/b/c.pdf');
      assert.equal(existsSync(join(root, 'users', 'u1', 'pdfs', 'a')), false);
      assert.equal(existsSync(join(root, 'users', 'u1', 'pdfs', 'keep.pdf')), true);
      await store.delete('users/u1/pdfs/keep.pdf');
      assert.equal(existsSync(join(root, 'users')), false);
      assert.equal(existsSync(root), true);
    });

    it('deletePrefix prunes below the prefix folder and never above it', async () => {
      await store.put('users/u1/pdfs/a/b.pdf', text('b'));
      await store.put('users/u1/rmapi/rmapi.conf', text('conf'));
      assert.equal(await store.deletePrefix('users/u1/pdfs/'), 1);
      assert.equal(existsSync(join(root, 'users', 'u1', 'pdfs')), false);
      assert.equal(existsSync(join(root, 'users', 'u1', 'rmapi', 'rmapi.conf')), true);
      assert.equal(await store.deletePrefix(''), 1);
      assert.equal(existsSync(root), true);
    });

    it('an object where a folder is (or the reverse) is a ConflictError, not a crash', async () => {
      await store.put('a/b', text('file'));
      await assert.rejects(store.put('a/b/c', text('x')), ConflictError);
      await assert.rejects(store.put('a', text('x')), ConflictError);
      assert.deepEqual((await readdir(join(root, '.aviary-tmp'))), []);
    });

    it('ping reports a DATA_DIR that is not a writable directory as UnavailableError naming it', async () => {
      const file = join(root, 'not-a-dir');
      await writeFile(file, 'x');
      const broken = await filesystemStore(file);
      await assert.rejects(broken.ping(), (e: Error) => e instanceof UnavailableError && e.message.includes(file) && /DATA_DIR/.test(e.message));
    });

    it('ping creates a missing DATA_DIR', async () => {
      const fresh = join(root, 'new', 'data');
      await (await filesystemStore(fresh)).ping();
      assert.equal(existsSync(fresh), true);
    });
  });

  it('the registry refuses a relative DATA_DIR, naming the variable', () => {
    const resolved = new PluginRegistry().use(filesystemPlugin).resolveStorage('filesystem', {}, 'relative/dir');
    assert.equal(resolved.ok, false);
    assert.match(!resolved.ok ? resolved.problems.join('\n') : '', /DATA_DIR: must be an absolute path/);
  });
});
