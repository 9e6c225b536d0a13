import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore, ByteStream } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { ValidateArchive } from '../../src/application/use-cases/validate-archive.use-case';
import { bootService, BootedService } from '../../src/boot';
import { seedData } from '../../scripts/seed-data';
import { ourArchive, type SimpleEntry } from '../support/archive-builder';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { silentLogger } from '../support/service';
import { captureState } from '../support/state';
import { leftovers } from '../support/leftovers';
import { untar } from '../support/tar';
import { backupBytes } from '../support/backup-bytes';

async function* once(data: Buffer) {
  yield data;
}

/** The archive with some entries' bodies replaced (or removed with null), checksums recomputed. */
async function edit(archive: Buffer, change: (name: string, body: Buffer) => Buffer | string | null): Promise<Buffer> {
  const entries: SimpleEntry[] = [];
  for (const [name, body] of untar(archive)) {
    if (name === 'checksums.sha256') continue;
    const next = change(name, body);
    if (next !== null) entries.push({ name, body: next });
  }
  return ourArchive(entries, { checksums: true });
}

const USER_TABLES = ['users', 'api_keys', 'user_sessions', 'user_folders_cache', 'documents'];
const usersOf = (body: Buffer) => JSON.parse(body.toString()) as Record<string, unknown>[];

/**
 * What a restore replaces (docs/restore-and-archives.md): only what the archive positively carries. A table-selective
 * backup, or a users table that is absent or null, never removes users or their files; a restore
 * that would leave no active admin is refused unless confirmed; the analysis says what changes.
 */
for (const [dbKind, storageKind] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  describe(`Restore scope (${dbKind} + ${storageKind})`, function () {
    let setup: BackendSetup;
    let service: BootedService;
    let dataDir: string;
    let db: DatabaseBackend;
    let blobs: BlobStore;
    let full: Buffer;

    const restore = () => service.container.get(RestoreBackup);
    const fromBuffer = (data: Buffer) => ({ open: async () => once(data) as ByteStream, sizeBytes: data.length });
    const state = () => captureState(db.records, blobs);
    const backup = async (tables: string[]) => {
      return await backupBytes(service, { includeFiles: true, includeConfigs: true, userIds: [], tables });
    };
    const defaults = { overwriteDatabase: true, overwriteFiles: true, userIds: [] as string[], adminUserId: null, safetyBackup: false };

    before(async function () {
      setup = await backendEnv(this, dbKind, storageKind);
      dataDir = await mkdtemp(join(tmpdir(), 'aviary-scope-'));
      service = await bootService({ env: { ...setup.env, DATA_DIR: dataDir }, background: false, logger: silentLogger });
      db = service.container.get<DatabaseBackend>(TOKENS.Database);
      blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
      await seedData({ records: db.records, blobs }, { users: 3, documents: 12, bytes: 200_000, seed: 'scope' });
      full = await backup([]);
    });
    beforeEach(async () => {
      await restore().execute({ ...fromBuffer(full), ...defaults });
    });
    after(async () => {
      await service?.close();
      await setup?.cleanup();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('restores a system_settings-only backup (files included) as exactly that: no file removed, users kept', async () => {
      const settingsOnly = await backup(['system_settings']);
      const before = await state();
      assert.ok(Object.keys(before.files).length >= 12);
      await db.records.writeTransaction((w) => w.delete('system_settings', { column: 'key', in: ['smtp_host'] }));
      const report = await restore().execute({ ...fromBuffer(settingsOnly), ...defaults });
      const after = await state();
      assert.equal(report.filesRemoved, 0);
      assert.deepEqual(after.files, before.files);
      assert.deepEqual(after.tables.users, before.tables.users);
      assert.deepEqual(after.tables.documents, before.tables.documents);
      assert.deepEqual(after.tables.system_settings, before.tables.system_settings);
    });

    for (const [label, body] of [['null', 'null'], ['absent', null], ['[]', '[]']] as const) {
      it(`a users table that is ${label} (as Aviary exports an empty database) never empties users nor removes their files`, async () => {
        // Every user-owned table empty the same way, documents gone: what Aviary writes for a database without users.
        const archive = await edit(full, (name, b) =>
          USER_TABLES.some((t) => name === `database/${t}.json`) ? body : name.startsWith('filesystem/') ? null : b);
        const analysis = await service.container.get(ValidateArchive).execute({ source: once(archive) });
        assert.equal(analysis.valid, true, analysis.errors.join('\n'));
        const before = await state();
        const report = await restore().execute({ ...fromBuffer(archive), ...defaults });
        const after = await state();
        assert.deepEqual(after.tables.users, before.tables.users);
        assert.equal(report.filesRemoved, 0);
        assert.deepEqual(after.files, before.files);
      });
    }

    it('refuses a restore that leaves no active admin unless confirmed, and the analysis warns', async () => {
      const archive = await edit(full, (name, b) =>
        name === 'database/users.json' ? JSON.stringify(usersOf(b).map((u) => ({ ...u, is_admin: false }))) : b);
      const analysis = await service.container.get(ValidateArchive).execute({ source: once(archive) });
      assert.ok(analysis.warnings.some((w) => /no active admin/.test(w)), analysis.warnings.join('\n'));
      assert.ok(analysis.warnings.some((w) => /admin .* would no longer be an active admin/.test(w)), analysis.warnings.join('\n'));
      const before = await state();
      await assert.rejects(restore().execute({ ...fromBuffer(archive), ...defaults }), (e: { code?: string; category?: string }) =>
        e.code === 'restore_leaves_no_admin' && e.category === 'conflict');
      assert.deepEqual(await state(), before, 'nothing changed');
      assert.deepEqual(await leftovers(blobs, dataDir), [], 'documents staged during the pass are removed');
      await restore().execute({ ...fromBuffer(archive), ...defaults, confirmNoAdmin: true });
      const admins = (await state()).tables.users.filter((u) => u.is_admin === true);
      assert.deepEqual(admins, []);
    });

    it('the analysis lists admins added and users whose files would be removed', async () => {
      const before = await state();
      const [gone, promoted] = before.tables.users.filter((u) => u.is_admin !== true);
      const archive = await edit(full, (name, b) => {
        if (name === 'database/users.json') {
          return JSON.stringify(usersOf(b).filter((u) => u.id !== gone.id).map((u) => (u.id === promoted.id ? { ...u, is_admin: true } : u)));
        }
        if (name.includes(String(gone.id))) return null;
        if (name.startsWith('database/')) {
          const rows = JSON.parse(b.toString());
          return Array.isArray(rows) ? JSON.stringify(rows.filter((r) => r.user_id !== gone.id)) : b;
        }
        return b;
      });
      const analysis = await service.container.get(ValidateArchive).execute({ source: once(archive) });
      assert.equal(analysis.valid, true, analysis.errors.join('\n'));
      assert.ok(analysis.warnings.some((w) => w.includes(String(promoted.username)) && /becomes an active admin/.test(w)), analysis.warnings.join('\n'));
      assert.ok(analysis.warnings.some((w) => w.includes(String(gone.id)) && /documents would be removed/.test(w)), analysis.warnings.join('\n'));
      const report = await restore().execute({ ...fromBuffer(archive), ...defaults });
      const after = await state();
      assert.ok(!Object.keys(after.files).some((k) => k.includes(String(gone.id))), 'the removed user has no orphan files');
      assert.ok(report.filesRemoved > 0);
    });
  });
}
