import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Authenticator } from '../../src/application/auth/authenticator';
import { TOKENS } from '../../src/application/ports/tokens';
import { backupCreateCommand } from '../../src/adapters/cli/backup-create.command';
import { restoreCommand } from '../../src/adapters/cli/restore.command';
import { openCliServices } from '../../src/cli-services';
import { runVerify } from '../../src/adapters/cli/verify.command';
import { compareAviaryDatabases, nullsInPlainColumns, type ComparisonReport } from '../../scripts/aviary-db/compare';
import { openKnex } from '../../scripts/aviary-db/connection';
import { formatReport } from '../../scripts/compare-databases';
import type { DatabaseKind } from '../support/backends';
import { createGormDatabase, describeSchema, emptyDatabase, type GormDatabase, type SchemaDescription } from '../support/gorm-aviary-db';
import { requirePostgres } from '../support/postgres';
import { silentLogger, startTestService } from '../support/service';

/**
 * The service on databases Aviary itself created (GORM's DDL, an upgraded install's NULLs), on
 * both engines: it starts without touching Aviary's tables, backs them up, and the rows come back
 * equal, as Aviary reads them, on the other engine and in another GORM-created database.
 */

interface Side {
  readonly db: Pick<GormDatabase, 'target' | 'env' | 'drop'>;
  readonly dataDir: string;
  readonly env: Record<string, string>;
}

async function side(db: Pick<GormDatabase, 'target' | 'env' | 'drop'>): Promise<Side> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aviary-gorm-data-'));
  return { db, dataDir, env: { ...db.env, DATA_DIR: dataDir, STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'silent', ALLOW_INSECURE: 'true' } };
}

async function cli(command: typeof backupCreateCommand, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const stream = () => {
    const s = new PassThrough();
    s.on('data', (chunk: Buffer) => (out += chunk.toString()));
    return s;
  };
  const code = await command.run(args, { stdout: stream(), stderr: stream(), env, open: openCliServices });
  return { code, out };
}

function assertIdentical(report: ComparisonReport): void {
  assert.ok(report.identical, formatReport(report));
  assert.ok(report.tables.every((t) => t.rowsA > 0), 'every table has rows to compare');
}

/** The Aviary tables as they were: same columns and types, same indexes and constraints. */
function assertAviaryTablesUnchanged(before: SchemaDescription, after: SchemaDescription): void {
  assert.deepEqual(after.columns, before.columns);
  assert.deepEqual(after.indexes, before.indexes);
}

/** Document files for the first users' documents, where Aviary keeps them (users/{id}/pdfs/…). */
async function writeDocumentFiles(s: Side): Promise<Record<string, string>> {
  const db = openKnex(s.db.target);
  try {
    const rows = (await db('documents').select('user_id', 'local_path').whereNotNull('local_path').orderBy('id').limit(12)) as { user_id: string; local_path: string }[];
    const files: Record<string, string> = {};
    for (const [i, row] of rows.entries()) {
      const key = `users/${String(row.user_id).toLowerCase()}/pdfs/${row.local_path}`;
      const body = `%PDF-1.4 document ${i} ${'x'.repeat(1000 + i * 97)}`;
      await mkdir(dirname(join(s.dataDir, key)), { recursive: true });
      await writeFile(join(s.dataDir, key), body);
      files[key] = createHash('sha256').update(body).digest('hex');
    }
    return files;
  } finally {
    await db.destroy();
  }
}

async function assertCredentialsWork(s: Side, source: GormDatabase): Promise<void> {
  const t = await startTestService(s.env, { logger: silentLogger });
  try {
    const auth = t.service.container!.get<Authenticator>(TOKENS.Authenticator);
    let loggedIn = 0;
    for (const user of source.generated.users.slice(0, 14)) {
      const attempt = auth.login({ username: user.username, password: user.password, ipAddress: '10.9.8.7', userAgent: 'test' });
      if (user.isActive) {
        assert.equal((await attempt).user.id, user.id, `${user.username} logs in with the old password`);
        loggedIn++;
      } else {
        await assert.rejects(attempt, (e: { code: string }) => e.code === 'backend.auth.account_disabled', `${user.username} stays deactivated`);
      }
    }
    assert.ok(loggedIn >= 10);
    const usable = source.generated.apiKeys.filter((k) => k.usable);
    assert.ok(usable.length >= 5);
    for (const key of source.generated.apiKeys) {
      const owner = await auth.fromApiKey(key.key, '10.9.8.7');
      if (key.usable) assert.equal(owner?.id, key.userId, `API key ${key.id} authenticates its owner`);
      else assert.equal(owner, null, `API key ${key.id} (inactive or expired) is refused`);
    }
  } finally {
    await t.service.close();
    await rm(t.dataDir, { recursive: true, force: true });
  }
}

/** Columns an upgrade leaves NULL in older rows (non-pointer, not `not null` in Aviary's models). */
const UPGRADE_NULLS = [
  'users.rmapi_config', 'users.reset_token', 'users.coverpage_setting', 'users.contrast_setting', 'users.page_resolution',
  'users.page_dpi', 'users.folder_exclusion_list', 'documents.local_path', 'documents.remote_path', 'documents.document_type',
  'documents.file_size', 'user_sessions.user_agent', 'user_sessions.ip_address', 'system_settings.value',
  'system_settings.description', 'login_attempts.username', 'login_attempts.user_agent',
];

const ENGINES: [DatabaseKind, DatabaseKind][] = [
  ['sqlite', 'postgres'],
  ['postgres', 'sqlite'],
];

for (const [engine, other] of ENGINES) {
  describe(`a database Aviary created on ${engine} (GORM DDL, upgraded install)`, function () {
    const cleanups: (() => Promise<void>)[] = [];
    let source: GormDatabase;
    let origin: Side;
    let original: SchemaDescription;
    let files: Record<string, string>;
    const archives: { withFiles?: string; noFiles?: string } = {};
    let work: string;

    before(async function () {
      await requirePostgres(this);
      source = await createGormDatabase(engine);
      cleanups.push(source.drop);
      origin = await side(source);
      cleanups.push(() => rm(origin.dataDir, { recursive: true, force: true }));
      work = await mkdtemp(join(tmpdir(), 'aviary-gorm-archives-'));
      cleanups.push(() => rm(work, { recursive: true, force: true }));
      original = await describeSchema(source.target);
      const nulls = await nullsInPlainColumns(source.target);
      for (const column of UPGRADE_NULLS) assert.ok(nulls[column] > 0, `the install has NULLs in ${column}`);
      files = await writeDocumentFiles(origin);
    });
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it('the service starts on it; migrations add only the service tables and leave Aviary\'s columns, indexes and constraints as they were', async () => {
      const t = await startTestService(origin.env, { logger: silentLogger });
      await t.service.close();
      await rm(t.dataDir, { recursive: true, force: true });
      const after = await describeSchema(source.target);
      assertAviaryTablesUnchanged(original, after);
      const added = after.tables.filter((name) => !original.tables.includes(name)).sort();
      assert.ok(added.length > 0 && added.every((name) => name.startsWith('aviary_')), `tables added: ${added.join(', ')}`);
      assert.deepEqual(original.tables.filter((name) => !after.tables.includes(name)), []);
    });

    it('backs it up with and without files; verify says VALID', async () => {
      archives.noFiles = join(work, 'no-files.tar.gz');
      archives.withFiles = join(work, 'with-files.tar.gz');
      const noFiles = await cli(backupCreateCommand, ['create', '--no-files', '--output', archives.noFiles], origin.env);
      assert.equal(noFiles.code, 0, noFiles.out);
      const withFiles = await cli(backupCreateCommand, ['create', '--output', archives.withFiles], origin.env);
      assert.equal(withFiles.code, 0, withFiles.out);
      for (const file of [archives.noFiles, archives.withFiles]) {
        let report = '';
        assert.equal(await runVerify(file, { stdout: { write: (s: string) => (report += s) } }), 0, report);
        assert.match(report, /: VALID\n/);
      }
      assertAviaryTablesUnchanged(original, await describeSchema(source.target));
    });

    it(`restores into an empty ${other} database: every row equal as Aviary reads it, files back, passwords and API keys work`, async () => {
      assert.ok(archives.withFiles, 'the backup test ran');
      const empty = await emptyDatabase(other);
      cleanups.push(empty.drop);
      const target = await side(empty);
      cleanups.push(() => rm(target.dataDir, { recursive: true, force: true }));
      const restored = await cli(restoreCommand, [archives.withFiles!, '--yes', '--no-safety-backup'], target.env);
      assert.equal(restored.code, 0, restored.out);
      assertIdentical(await compareAviaryDatabases(source.target, empty.target));
      assert.deepEqual(await nullsInPlainColumns(empty.target), {}, 'written back as zero values, not NULL');
      for (const [key, sha] of Object.entries(files)) {
        assert.equal(createHash('sha256').update(await readFile(join(target.dataDir, key))).digest('hex'), sha, key);
      }
      // Backed up before anyone logs in there (a login writes last_login, sessions, attempts).
      const roundTrip = join(work, 'round-trip.tar.gz');
      const backup = await cli(backupCreateCommand, ['create', '--no-files', '--output', roundTrip], target.env);
      assert.equal(backup.code, 0, backup.out);
      await assertCredentialsWork(target, source);

      // …and back: from the other engine into another database Aviary created, which it replaces.
      const gorm = await createGormDatabase(engine, { seed: 'another install', counts: { users: 5, api_keys: 3, user_sessions: 4, user_folders_cache: 2, documents: 7, login_attempts: 9 } });
      cleanups.push(gorm.drop);
      const back = await side(gorm);
      cleanups.push(() => rm(back.dataDir, { recursive: true, force: true }));
      const schemaBefore = await describeSchema(gorm.target);
      const again = await cli(restoreCommand, [roundTrip, '--yes', '--no-safety-backup'], back.env);
      assert.equal(again.code, 0, again.out);
      assertIdentical(await compareAviaryDatabases(source.target, gorm.target));
      assert.deepEqual(await nullsInPlainColumns(gorm.target), {});
      assertAviaryTablesUnchanged(schemaBefore, await describeSchema(gorm.target));
      await assertCredentialsWork(back, source);
    });
  });
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`an Aviary install on ${engine} whose folder cache holds duplicate paths`, () => {
    it('the service still starts (its migrations add no index to Aviary\'s tables)', async function () {
      await requirePostgres(this);
      // Aviary only logs a warning when its unique (user_id, folder_path) index cannot be built.
      const gorm = await createGormDatabase(engine, { counts: { users: 3, api_keys: 1, user_sessions: 1, user_folders_cache: 3, documents: 2, login_attempts: 2 } });
      const s = await side(gorm);
      try {
        const db = openKnex(gorm.target);
        try {
          await db.raw('DROP INDEX idx_user_folder_path');
          const row = (await db('user_folders_cache').first()) as Record<string, unknown>;
          await db('user_folders_cache').insert({ ...row, id: 'ffffffff-0000-4000-a000-000000000001' });
        } finally {
          await db.destroy();
        }
        const t = await startTestService(s.env, { logger: silentLogger });
        await t.service.close();
        await rm(t.dataDir, { recursive: true, force: true });

        // Its backup is valid (the repeat is a warning) and restores into a database whose
        // unique index holds: the first row of each (user_id, folder_path) is kept.
        const out = join(s.dataDir, 'duplicates.tar.gz');
        const backup = await cli(backupCreateCommand, ['create', '--no-files', '--output', out], s.env);
        assert.equal(backup.code, 0, backup.out);
        let report = '';
        assert.equal(await runVerify(out, { stdout: { write: (text: string) => (report += text) } }), 0, report);
        assert.match(report, /1 row repeats \(user_id, folder_path\)/);
        const empty = await emptyDatabase(engine);
        const target = await side(empty);
        try {
          const restored = await cli(restoreCommand, [out, '--yes', '--no-safety-backup'], target.env);
          assert.equal(restored.code, 0, restored.out);
          const db = openKnex(empty.target);
          try {
            const rows = (await db('user_folders_cache').select('id')) as { id: string }[];
            assert.equal(rows.length, 3, 'the repeated (user_id, folder_path) row was dropped, the others kept');
            assert.ok(!rows.some((r) => r.id === 'ffffffff-0000-4000-a000-000000000001'), 'the first row of the key (in primary-key order) is the one kept');
          } finally {
            await db.destroy();
          }
        } finally {
          await empty.drop();
          await rm(target.dataDir, { recursive: true, force: true });
        }
      } finally {
        await gorm.drop();
        await rm(s.dataDir, { recursive: true, force: true });
      }
    });
  });
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`a database the newest Aviary release created on ${engine} (fresh GORM DDL)`, () => {
    it('the service starts without touching Aviary\'s tables and its backup verifies', async function () {
      await requirePostgres(this);
      const gorm = await createGormDatabase(engine, { layout: 'fresh' });
      const s = await side(gorm);
      try {
        const original = await describeSchema(gorm.target);
        const out = join(s.dataDir, 'fresh.tar.gz');
        const backup = await cli(backupCreateCommand, ['create', '--no-files', '--output', out], s.env);
        assert.equal(backup.code, 0, backup.out);
        let report = '';
        assert.equal(await runVerify(out, { stdout: { write: (text: string) => (report += text) } }), 0, report);
        assertAviaryTablesUnchanged(original, await describeSchema(gorm.target));
      } finally {
        await gorm.drop();
        await rm(s.dataDir, { recursive: true, force: true });
      }
    });
  });
}
