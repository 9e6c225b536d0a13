import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { createAviaryBackup, type AviaryBackup } from '../../src/aviary-backup';
import { silentLogger } from '../support/service';

const ARCHIVE = join(__dirname, '..', 'fixtures', 'archives', 'historical', 'go-metadata-first.tar.gz');

const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);

/** Everything under DATA_DIR is private to the service user, whatever the umask it was started with. */
describe('files and folders the service creates are 0600/0700', () => {
  let parent: string;
  let service: AviaryBackup | undefined;
  let umask: number;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'aviary-modes-'));
    umask = process.umask(0); // the most permissive umask: every mode below must be set explicitly
  });
  afterEach(async () => {
    process.umask(umask);
    await service?.close();
    service = undefined;
    await rm(parent, { recursive: true, force: true });
  });

  it('DATA_DIR, the SQLite database, secrets, backups, uploads and temp folders', async () => {
    const dataDir = join(parent, 'data');
    service = createAviaryBackup({ env: { DATA_DIR: dataDir, ALLOW_INSECURE: 'true' }, logger: silentLogger });
    await service.start();
    const app = express();
    app.use(service.router);
    const password = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim();
    const login = await request(app).post('/api/auth/login').send({ username: 'admin', password });
    const cookie = login.headers['set-cookie'][0].split(';')[0];
    const job = await request(app).post('/api/admin/backup-job').set('Cookie', cookie);
    assert.equal(job.status, 200);
    for (let status = ''; status !== 'completed';) {
      status = (await request(app).get(`/api/admin/backup-job/${job.body.job_id}`).set('Cookie', cookie)).body.status;
      assert.notEqual(status, 'failed');
      await new Promise((r) => setTimeout(r, 50));
    }
    const upload = await request(app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', await readFile(ARCHIVE), 'a.tar.gz');
    assert.equal(upload.status, 200);

    const entries = (await readdir(dataDir, { recursive: true })).map((e) => join(dataDir, e));
    const modes: Record<string, string> = { [dataDir]: await modeOf(dataDir) };
    for (const path of entries) modes[path.slice(dataDir.length + 1)] = await modeOf(path);
    const expected: Record<string, string> = {};
    for (const path of entries) {
      const name = path.slice(dataDir.length + 1);
      expected[name] = (await stat(path)).isDirectory() ? '700' : '600';
    }
    expected[dataDir] = '700';
    assert.deepEqual(modes, expected);
    for (const name of ['aviary.db', 'initial-admin-password', 'jwt-secret']) assert.ok(name in modes, `${name} exists`);
    assert.ok(Object.keys(modes).some((n) => n.startsWith('backups/aviary_backup_')), 'a backup exists');
    assert.ok(Object.keys(modes).some((n) => n.startsWith('tmp/uploads/')), 'an upload exists');
  });
});
