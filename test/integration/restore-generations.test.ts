import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Authenticator } from '../../src/application/auth/authenticator';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { AVIARY_TABLES, type AviaryTableName } from '../../src/domain/schema/aviary-schema';
import { startTestService, TestService } from '../support/service';

const dir = join(__dirname, '..', 'fixtures', 'archives');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
  fixtures: { file: string; kind: string; expect: { valid: boolean; requires_force: boolean; tables: Record<string, number> } }[];
};
const credentials = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as {
  users: { id: string; username: string; password: string; is_active: boolean }[];
  api_keys: { user_id: string; key: string; is_active: boolean }[];
};

describe('restoring every Aviary archive generation', () => {
  for (const fixture of index.fixtures.filter((f) => f.kind === 'historical')) {
    it(`${fixture.file}: users log in with their original passwords, API keys still authenticate`, async () => {
      const t: TestService = await startTestService({ AUTH_USERNAME: 'bootstrap', AUTH_PASSWORD: 'bootstrap-password' });
      try {
        const file = join(dir, fixture.file);
        const size = (await stat(file)).size;
        await t.service.container!.get(RestoreBackup).execute({
          open: async () => createReadStream(file),
          sizeBytes: size,
          overwriteDatabase: true,
          overwriteFiles: true,
          userIds: [],
          adminUserId: null,
          safetyBackup: false,
          force: fixture.expect.requires_force,
        });
        const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
        const users = await db.records.readSnapshot((r) => r.count('users'));
        assert.equal(users, fixture.expect.tables.users);
        const auth = t.service.container!.get<Authenticator>(TOKENS.Authenticator);
        let checked = 0;
        for (const user of credentials.users) {
          const attempt = auth.login({ username: user.username, password: user.password, ipAddress: '10.2.3.4', userAgent: 't' });
          if (user.is_active) {
            assert.equal((await attempt).user.id, user.id, `${user.username} logs in`);
            checked++;
          } else {
            await assert.rejects(attempt, (e: { code: string }) => e.code === 'backend.auth.account_disabled', `${user.username} stays deactivated`);
          }
        }
        assert.ok(checked >= 1);
        for (const key of credentials.api_keys) {
          const owner = await auth.fromApiKey(key.key, '127.0.0.1');
          if (key.is_active) assert.equal(owner?.id, key.user_id);
          else assert.equal(owner, null);
        }
        assert.equal(await db.accounts.findUserByLogin('bootstrap'), null, 'the archive replaced the users');
        // NULLs an upgraded Aviary wrote come back as Go's zero values, never as NULL in a plain column.
        await db.records.readSnapshot(async (r) => {
          for (const def of AVIARY_TABLES) {
            for await (const row of r.stream(def.name as AviaryTableName)) {
              for (const col of def.columns) if (!col.nullable) assert.notEqual(row[col.name], null, `${def.name}.${col.name}`);
            }
          }
          const docs: Record<string, unknown>[] = [];
          for await (const d of r.stream('documents')) docs.push(d);
          if (docs.length > 0) assert.ok(docs.some((d) => d.remote_path === '' && d.document_type === ''), 'remote_path/document_type NULL → ""');
        });
      } finally {
        await t.stop();
      }
    });
  }

  it('restores an archive from a newer Aviary release that holds nothing unknown without force, saying so', async () => {
    const file = join(dir, index.fixtures.find((f) => f.file.includes('newer-aviary-version'))!.file);
    const t = await startTestService({});
    try {
      const report = await t.service.container!.get(RestoreBackup).execute({
        open: async () => createReadStream(file), overwriteDatabase: true, overwriteFiles: true,
        userIds: [], adminUserId: null, safetyBackup: false,
      });
      assert.ok(report.warnings.some((w) => /newer than .* restores without loss/.test(w)), report.warnings.join('; '));
      const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
      assert.equal(await db.records.readSnapshot((r) => r.count('users')), 3);
    } finally {
      await t.stop();
    }
  });

  it('refuses an archive from a newer Aviary release that holds data it would drop, unless forced', async () => {
    const fixture = index.fixtures.find((f) => f.file.includes('newer-aviary-unknown-data'))!;
    const file = join(dir, fixture.file);
    const t = await startTestService({});
    try {
      const restore = (force: boolean) =>
        t.service.container!.get(RestoreBackup).execute({
          open: async () => createReadStream(file), overwriteDatabase: true, overwriteFiles: true,
          userIds: [], adminUserId: null, safetyBackup: false, force,
        });
      await assert.rejects(restore(false), (e: { code: string; category: string }) => e.code === 'backup_version_newer' && e.category === 'integrity');
      const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
      const generated = await db.accounts.findUserByLogin('admin');
      assert.ok(generated, 'nothing changed: the generated admin is still there');
      await restore(true);
      assert.equal(await db.accounts.findUserById(generated.id), null, 'forced: the archive replaced the users');
      assert.ok((await db.records.readSnapshot((r) => r.count('users'))) > 0);
    } finally {
      await t.stop();
    }
  });
});
