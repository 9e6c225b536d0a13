import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { keyProblem } from '../../src/domain/storage-key';
import { startTestService, TestService } from '../support/service';
import { fullRestoreOf } from '../support/full-restore';

const dir = join(__dirname, '..', 'fixtures', 'archives');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { fixtures: { file: string; kind: string; description: string }[] };

/**
 * Every hostile fixture through a real restore (SQLite + filesystem): it is refused with a reason
 * the client is told (422, 409 or 400 — never a 500), or it restores without harm: users remain,
 * an active admin remains, and every stored key is one the storage accepts.
 */
describe('restoring every hostile fixture: refused with a reason, or harmless', function () {
  let t: TestService;
  let db: DatabaseBackend;
  let blobs: BlobStore;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: 'bootstrap', AUTH_PASSWORD: 'bootstrap-password' });
    db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
  });
  after(() => t?.stop());

  for (const fixture of index.fixtures.filter((f) => f.kind === 'hostile')) {
    it(`${fixture.file}: ${fixture.description}`, async () => {
      const file = join(dir, fixture.file);
      const outcome = await t.service.container!.get(RestoreBackup).execute(await fullRestoreOf(file)).then(() => null, (error: { category?: string; code?: string; message?: string }) => error);
      if (outcome) {
        assert.ok(['integrity', 'conflict', 'invalid'].includes(outcome.category ?? ''), `refused as ${outcome.category}/${outcome.code}: ${outcome.message}`);
        assert.ok((outcome.message ?? '').length > 10, 'with a reason');
      }
      const users = await db.records.readSnapshot(async (r) => {
        const rows = [];
        for await (const u of r.stream('users')) rows.push(u);
        return rows;
      });
      assert.ok(users.length > 0, 'users remain');
      assert.ok(users.some((u) => u.is_admin === true && u.is_active === true), 'an active admin remains');
      for await (const blob of listAll(blobs, '')) assert.equal(keyProblem(blob.key), null, blob.key);
    });
  }
});
