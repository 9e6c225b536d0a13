import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { AviaryBackup, createAviaryBackup } from '../../src/aviary-backup';
import { DATA_DIR_OWNER_FILE } from '../../src/adapters/system/data-dir-owner';
import { createTestDatabase, pgConnection, requirePostgres } from '../support/postgres';
import { silentLogger } from '../support/service';

const ARCHIVE = join(__dirname, '..', 'fixtures', 'archives', 'historical', 'go-metadata-first.tar.gz');

/**
 * The README's "On PostgreSQL" recipe run next to a SQLite install with the default DATA_DIR: the
 * second database must not take over the first one's initial password, uploads or files.
 */
describe('two instances sharing one DATA_DIR with different databases', () => {
  let dataDir: string;
  let first: AviaryBackup | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-shared-'));
  });
  afterEach(async () => {
    await first?.close();
    first = undefined;
    await dropDatabase?.();
    dropDatabase = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startSqliteWithPendingUpload(): Promise<{ password: string; app: express.Express; uploadFiles: string[] }> {
    first = createAviaryBackup({ env: { DATA_DIR: dataDir, ALLOW_INSECURE: 'true' }, logger: silentLogger });
    await first.start();
    const app = express();
    app.use(first.router);
    const password = await readFile(join(dataDir, 'initial-admin-password'), 'utf8');
    const login = await request(app).post('/api/auth/login').send({ username: 'admin', password: password.trim() });
    assert.equal(login.status, 200);
    const cookie = login.headers['set-cookie'][0].split(';')[0];
    const upload = await request(app).post('/api/admin/restore/upload').set('Cookie', cookie)
      .attach('backup_file', await readFile(ARCHIVE), 'aviary.tar.gz');
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    const uploadFiles = await readdir(join(dataDir, 'tmp', 'uploads'), { recursive: true });
    assert.ok(uploadFiles.length > 0);
    return { password, app: Object.assign(app, { cookie }), uploadFiles };
  }

  async function postgresEnv(ctx: Mocha.Context): Promise<Record<string, string>> {
    await requirePostgres(ctx);
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    const c = pgConnection();
    return { DATA_DIR: dataDir, ALLOW_INSECURE: 'true', DB_TYPE: 'postgres', DB_HOST: c.host, DB_PORT: String(c.port), DB_USER: c.user, DB_PASSWORD: c.password, DB_NAME: database.name };
  }

  async function startSecond(env: Record<string, string>): Promise<unknown> {
    const second = createAviaryBackup({ env, logger: silentLogger });
    const outcome = await second.start().then(() => undefined, (error: unknown) => error);
    await second.close();
    return outcome;
  }

  it('the PostgreSQL instance refuses to start, and the SQLite instance keeps its password file and its pending upload', async function () {
    const { password, app, uploadFiles } = await startSqliteWithPendingUpload();
    const error = await startSecond(await postgresEnv(this));

    assert.equal(await readFile(join(dataDir, 'initial-admin-password'), 'utf8'), password, 'the first admin password file is intact');
    assert.deepEqual(await readdir(join(dataDir, 'tmp', 'uploads'), { recursive: true }), uploadFiles, 'the pending upload is still on disk');
    const uploads = await request(app).get('/api/admin/restore/uploads').set('Cookie', (app as unknown as { cookie: string }).cookie);
    assert.equal(uploads.body.uploads.length, 1);

    assert.ok(error instanceof Error, 'the second database is refused');
    assert.match(error.message, /DATA_DIR/);
    assert.match(error.message, /another database/);
    assert.match(error.message, /sqlite/);
  });

  it('a DATA_DIR from before the owner file existed is recognised by its SQLite database', async function () {
    const { password } = await startSqliteWithPendingUpload();
    await rm(join(dataDir, DATA_DIR_OWNER_FILE), { force: true }); // as a DATA_DIR written before the owner file existed
    const error = await startSecond(await postgresEnv(this));
    assert.equal(await readFile(join(dataDir, 'initial-admin-password'), 'utf8'), password);
    assert.ok(error instanceof Error);
    assert.match(error.message, /DATA_DIR/);
  });

  it('the same database starts again on its own DATA_DIR', async () => {
    await startSqliteWithPendingUpload();
    await first!.close();
    first = createAviaryBackup({ env: { DATA_DIR: dataDir, ALLOW_INSECURE: 'true' }, logger: silentLogger });
    await first.start();
  });
});
