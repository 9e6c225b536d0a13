import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { RestoreUpload } from '../../src/application/ports/restore-upload-store.port';
import type { PasswordHasher } from '../../src/application/ports/system.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { ExpireRestoreUploads } from '../../src/application/use-cases/expire-restore-uploads.use-case';
import { backendEnv, BackendSetup } from '../support/backends';
import { multipartBody, postRaw } from '../support/multipart';
import { startTestService, TestService } from '../support/service';

const FIXTURES = join(__dirname, '..', 'fixtures', 'archives');
const ROOT = { username: 'root', password: 'root-password-1' };
const db = (t: TestService) => t.service.container!.get<DatabaseBackend>(TOKENS.Database);
const blobs = (t: TestService) => t.service.container!.get<BlobStore>(TOKENS.BlobStore);
/** Every upload row, whatever its status or owner. */
const allRows = (t: TestService): Promise<RestoreUpload[]> => db(t).uploads.listExpired(new Date(8.64e15));

async function login(t: TestService, username: string, password: string): Promise<string> {
  const res = await request(t.app).post('/api/auth/login').send({ username, password });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.headers['set-cookie'][0].split(';')[0];
}

async function addUser(t: TestService, username: string, isAdmin: boolean): Promise<string> {
  const hasher = t.service.container!.get<PasswordHasher>(TOKENS.PasswordHasher);
  const password = `${username}-password-1`;
  await db(t).accounts.createUser({ username, email: `${username}@example.org`, passwordHash: await hasher.hash(password), isAdmin });
  return login(t, username, password);
}

/** A real archive of the service's own database, made through the backup API. */
async function backupArchive(t: TestService, cookie: string): Promise<Buffer> {
  const created = await request(t.app).post('/api/admin/backup-job').set('Cookie', cookie);
  assert.equal(created.status, 200, JSON.stringify(created.body));
  for (let i = 0; i < 300; i++) {
    const job = await request(t.app).get(`/api/admin/backup-job/${created.body.job_id}`).set('Cookie', cookie);
    if (job.body.status === 'failed') throw new Error(job.body.error_message);
    if (job.body.status === 'completed') {
      const download = await request(t.app).get(`/api/admin/backup-job/${created.body.job_id}/download`).set('Cookie', cookie)
        .buffer(true).parse((res, cb) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => cb(null, Buffer.concat(parts)));
        });
      return download.body as Buffer;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('backup did not finish');
}

function upload(t: TestService, cookie: string, data: Buffer, filename: string) {
  return request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', data, filename);
}

/** Files in the storage backend's temp areas: tmp/uploads/ and the filesystem backend's staging dir. */
async function tempFiles(t: TestService): Promise<{ uploads: string[]; staging: string[] }> {
  const page = await blobs(t).listPage('tmp/');
  const staging = await readdir(join(t.dataDir, '.aviary-tmp')).catch(() => [] as string[]);
  return { uploads: page.items.map((i) => i.key), staging };
}

function assertNoServerPaths(t: TestService, body: unknown): void {
  const text = JSON.stringify(body);
  assert.ok(!text.includes(t.dataDir), `response mentions DATA_DIR: ${text}`);
  assert.ok(!text.includes('tmp/uploads'), `response mentions the storage key: ${text}`);
}

describe('restore uploads over HTTP (sqlite + filesystem)', function () {
  let t: TestService;
  let cookie: string;
  let otherAdmin: string;
  let nonAdmin: string;
  let archive: Buffer;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: ROOT.username, AUTH_PASSWORD: ROOT.password });
    cookie = await login(t, ROOT.username, ROOT.password);
    otherAdmin = await addUser(t, 'second-admin', true);
    nonAdmin = await addUser(t, 'plain-user', false);
    archive = await backupArchive(t, cookie);
  });
  after(async () => {
    await t?.stop();
  });

  it('uploads, lists, analyzes, reports the analysis as complete, and deletes the file with the row', async () => {
    const up = await upload(t, cookie, archive, 'My backup.tar.gz');
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.status, 'uploaded');
    assert.equal(up.body.filename, 'My backup.tar.gz');
    assert.equal(up.body.file_size, archive.length);
    assert.ok(Date.parse(up.body.expires_at) > Date.now() + 23 * 3600_000, 'expires after UPLOAD_RETENTION_HOURS (24 by default)');
    assert.equal(typeof up.body.message, 'string');
    assertNoServerPaths(t, up.body);
    const id: string = up.body.upload_id;
    const stored = await readFile(join(t.dataDir, 'tmp', 'uploads', `${id}.tar.gz`));
    assert.ok(stored.equals(archive), 'stored byte for byte under DATA_DIR/tmp/uploads/');

    const list = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', cookie);
    assert.equal(list.status, 200);
    const listed = list.body.uploads.find((u: { id: string }) => u.id === id);
    assert.deepEqual(
      { filename: listed.filename, file_size: listed.file_size, status: listed.status, analysis: listed.analysis },
      { filename: 'My backup.tar.gz', file_size: archive.length, status: 'uploaded', analysis: null },
    );
    assert.ok(listed.created_at && listed.expires_at);
    assertNoServerPaths(t, list.body);

    const analyzed = await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', cookie);
    assert.equal(analyzed.status, 200, JSON.stringify(analyzed.body));
    assert.equal(analyzed.body.valid, true, JSON.stringify(analyzed.body.metadata.errors));
    assert.equal(analyzed.body.metadata.valid, true);
    assert.equal(analyzed.body.metadata.user_count, 3, 'root, second-admin and plain-user');
    assert.equal(analyzed.body.metadata.database_type, 'sqlite');
    assert.deepEqual(analyzed.body.metadata.errors, []);
    assertNoServerPaths(t, analyzed.body);
    const row = await db(t).uploads.get(id);
    assert.equal(row?.status, 'analyzed');
    assert.equal(row?.analysis?.valid, true, 'the analysis is kept on the upload for restore');
    assert.equal(row?.analysis?.user_count, 3);

    const status = await request(t.app).get(`/api/admin/restore/uploads/${id}/extraction-status`).set('Cookie', cookie);
    assert.equal(status.status, 200);
    assert.equal(status.body.status, 'completed');
    assert.equal(status.body.progress, 100);
    assert.equal(status.body.job_exists, true);
    assert.equal(status.body.job_id, id);
    assert.equal(status.body.error, null);
    assert.ok(Date.parse(status.body.started_at) <= Date.parse(status.body.completed_at));
    assert.deepEqual(Object.keys(status.body).sort(), ['completed_at', 'error', 'job_exists', 'job_id', 'message', 'progress', 'started_at', 'status']);

    const relisted = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', cookie);
    const summary = relisted.body.uploads.find((u: { id: string }) => u.id === id).analysis;
    assert.equal(summary.valid, true);
    assert.equal(summary.user_count, 3);

    const removed = await request(t.app).delete(`/api/admin/restore/uploads/${id}`).set('Cookie', cookie);
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body, { success: true });
    assert.equal(await blobs(t).stat(`tmp/uploads/${id}.tar.gz`), null, 'file removed');
    assert.equal(await db(t).uploads.get(id), null, 'row removed');
    const gone = await request(t.app).get(`/api/admin/restore/uploads/${id}/extraction-status`).set('Cookie', cookie);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error_type, 'upload_not_found');
  });

  it('reports a never-analyzed upload as not started, and answers [] (not null) with no uploads', async () => {
    const fresh = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', nonAdmin);
    assert.equal(fresh.status, 403);
    const empty = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', otherAdmin);
    assert.deepEqual(empty.body, { uploads: [] });

    const up = await upload(t, cookie, archive, 'backup.tar.gz');
    const status = await request(t.app).get(`/api/admin/restore/uploads/${up.body.upload_id}/extraction-status`).set('Cookie', cookie);
    assert.deepEqual(
      { job_exists: status.body.job_exists, status: status.body.status, progress: status.body.progress, job_id: status.body.job_id },
      { job_exists: false, status: 'not_started', progress: 0, job_id: null },
    );
    await request(t.app).delete(`/api/admin/restore/uploads/${up.body.upload_id}`).set('Cookie', cookie).expect(200);
  });

  it('accepts .tgz and .TAR.GZ in any case, keeps only the last segment of the name, and refuses other extensions with 400', async () => {
    for (const name of ['BACKUP.TGZ', 'Aviary.Tar.Gz']) {
      const res = await upload(t, cookie, archive, name);
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.filename, name);
      await request(t.app).delete(`/api/admin/restore/uploads/${res.body.upload_id}`).set('Cookie', cookie).expect(200);
    }
    const traversal = await upload(t, cookie, archive, '../../etc/evil.tgz');
    assert.equal(traversal.status, 200);
    assert.equal(traversal.body.filename, 'evil.tgz', 'the client name is display-only');
    await request(t.app).delete(`/api/admin/restore/uploads/${traversal.body.upload_id}`).set('Cookie', cookie).expect(200);

    const before = await allRows(t);
    for (const name of ['backup.zip', 'backup.tar', 'backup.gz', 'backup.tar.gz.exe']) {
      const res = await upload(t, cookie, archive, name);
      assert.equal(res.status, 400, name);
      assert.equal(res.body.code, 'invalid_file_type', name);
    }
    assert.equal((await allRows(t)).length, before.length, 'no row for a refused file');
    assert.deepEqual((await tempFiles(t)).uploads, []);
  });

  it('answers 400 without a backup_file part, for a non-multipart body and for a malformed one', async () => {
    const wrongField = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('file', archive, 'backup.tar.gz');
    assert.equal(wrongField.status, 400);
    const noFile = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).field('note', 'no file here');
    assert.equal(noFile.status, 400);
    assert.equal(noFile.body.error_type, 'no_backup_file');
    const json = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).send({ backup_file: 'x' });
    assert.equal(json.status, 400);
    const broken = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie)
      .set('Content-Type', 'multipart/form-data; boundary=xyz').send('--xyz\r\nContent-Disposition: form-data; name="backup_file"; filename="a.tar.gz"\r\n\r\nabc');
    assert.equal(broken.status, 400, JSON.stringify(broken.body));
    assert.deepEqual((await tempFiles(t)).uploads, []);
    assert.deepEqual(await allRows(t), []);
  });

  it('checks every :id: 400 invalid_upload_id for a non-UUID, 404 upload_not_found for an unknown one', async () => {
    for (const [method, suffix] of [['post', '/analyze'], ['get', '/extraction-status'], ['delete', '']] as const) {
      const bad = await request(t.app)[method](`/api/admin/restore/uploads/not-a-uuid${suffix}`).set('Cookie', cookie);
      assert.equal(bad.status, 400, `${method} ${suffix}`);
      assert.equal(bad.body.error_type, 'invalid_upload_id');
      const unknown = await request(t.app)[method](`/api/admin/restore/uploads/${randomUUID()}${suffix}`).set('Cookie', cookie);
      assert.equal(unknown.status, 404, `${method} ${suffix}`);
      assert.equal(unknown.body.error_type, 'upload_not_found');
    }
  });

  it("keeps uploads private: another admin cannot list, analyze, read the status of or delete mine; non-admins get 403", async () => {
    const up = await upload(t, cookie, archive, 'mine.tar.gz');
    const id = up.body.upload_id;
    const theirs = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', otherAdmin);
    assert.deepEqual(theirs.body.uploads, []);
    for (const [method, suffix] of [['post', '/analyze'], ['get', '/extraction-status'], ['delete', '']] as const) {
      const res = await request(t.app)[method](`/api/admin/restore/uploads/${id}${suffix}`).set('Cookie', otherAdmin);
      assert.equal(res.status, 404, `${method} ${suffix}`);
      assert.equal(res.body.error_type, 'upload_not_found');
    }
    assert.ok(await blobs(t).stat(`tmp/uploads/${id}.tar.gz`), 'still there');

    const denied = [
      await upload(t, nonAdmin, archive, 'x.tar.gz'),
      await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', nonAdmin),
      await request(t.app).delete(`/api/admin/restore/uploads/${id}`).set('Cookie', nonAdmin),
      await request(t.app).post('/api/admin/backup/analyze').set('Cookie', nonAdmin).attach('backup_file', archive, 'x.tar.gz'),
      await request(t.app).post('/api/admin/cleanup').set('Cookie', nonAdmin),
    ];
    for (const res of denied) assert.equal(res.status, 403);
    const anonymous = await request(t.app).post('/api/admin/restore/upload').attach('backup_file', archive, 'x.tar.gz');
    assert.equal(anonymous.status, 401);
    assert.equal((await allRows(t)).length, 1, 'refused uploads leave no row');
    await request(t.app).delete(`/api/admin/restore/uploads/${id}`).set('Cookie', cookie).expect(200);
  });

  for (const fixture of ['hostile/dotdot-name.tar.gz', 'hostile/gzip-bomb.tar.gz', 'hostile/truncated-gzip.tar.gz', 'hostile/symlink.tar.gz']) {
    it(`analyzes the uploaded ${fixture} as invalid with errors; the service stays healthy and keeps nothing else`, async () => {
      const data = await readFile(join(FIXTURES, fixture));
      const up = await upload(t, cookie, data, fixture.split('/')[1]);
      assert.equal(up.status, 200, JSON.stringify(up.body));
      const id = up.body.upload_id;
      const analyzed = await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', cookie);
      assert.equal(analyzed.status, 200, JSON.stringify(analyzed.body));
      assert.equal(analyzed.body.valid, false);
      assert.equal(analyzed.body.metadata.valid, false);
      assert.ok(analyzed.body.metadata.errors.length > 0);
      const status = await request(t.app).get(`/api/admin/restore/uploads/${id}/extraction-status`).set('Cookie', cookie);
      assert.equal(status.body.status, 'completed');
      assert.match(status.body.message, /invalid/);
      assert.equal((await db(t).uploads.get(id))?.analysis?.valid, false);

      await request(t.app).get('/healthz').expect(200);
      await request(t.app).get('/api/admin/restore/uploads').set('Cookie', cookie).expect(200);
      const temp = await tempFiles(t);
      assert.deepEqual(temp.uploads, [`tmp/uploads/${id}.tar.gz`], 'only the upload itself');
      assert.deepEqual(temp.staging, [], 'no partial writes');
      await request(t.app).delete(`/api/admin/restore/uploads/${id}`).set('Cookie', cookie).expect(200);
    });
  }

  it('POST /backup/analyze analyzes an archive as it arrives and keeps nothing', async () => {
    const good = await request(t.app).post('/api/admin/backup/analyze').set('Cookie', cookie).attach('backup_file', archive, 'backup.tar.gz');
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.valid, true);
    assert.equal(good.body.metadata.valid, true);
    assert.equal(good.body.metadata.user_count, 3);
    for (const fixture of ['hostile/dotdot-name.tar.gz', 'hostile/gzip-bomb.tar.gz', 'hostile/not-gzip.tar.gz']) {
      const bad = await request(t.app).post('/api/admin/backup/analyze').set('Cookie', cookie)
        .attach('backup_file', await readFile(join(FIXTURES, fixture)), 'backup.tar.gz');
      assert.equal(bad.status, 200, `${fixture}: ${JSON.stringify(bad.body)}`);
      assert.equal(bad.body.valid, false, fixture);
      assert.equal(bad.body.metadata.valid, false, fixture);
      assert.ok(bad.body.metadata.errors.length > 0, fixture);
    }
    const wrongType = await request(t.app).post('/api/admin/backup/analyze').set('Cookie', cookie).attach('backup_file', archive, 'backup.7z');
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.code, 'invalid_file_type');
    assert.deepEqual(await tempFiles(t), { uploads: [], staging: [] });
    assert.deepEqual(await allRows(t), []);
    await request(t.app).get('/healthz').expect(200);
  });

  it('removes an expired upload and its file in the expiry pass, and files under tmp/uploads/ that no upload owns', async () => {
    const expired = (await upload(t, cookie, archive, 'old.tar.gz')).body.upload_id;
    const kept = (await upload(t, cookie, archive, 'new.tar.gz')).body.upload_id;
    assert.ok(await db(t).uploads.update(expired, { expiresAt: new Date(Date.now() - 1000) }));
    const orphan = `tmp/uploads/${randomUUID()}.tar.gz`;
    await blobs(t).put(orphan, (async function* () { yield Buffer.from('left by a crash'); })());

    const report = await t.service.container!.get(ExpireRestoreUploads).execute();
    assert.deepEqual(report, { expired: 1, orphanFiles: 1, interrupted: 0 });
    assert.equal(await db(t).uploads.get(expired), null);
    assert.equal(await blobs(t).stat(`tmp/uploads/${expired}.tar.gz`), null);
    assert.equal(await blobs(t).stat(orphan), null);
    assert.ok(await blobs(t).stat(`tmp/uploads/${kept}.tar.gz`));
    const list = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', cookie);
    assert.deepEqual(list.body.uploads.map((u: { id: string }) => u.id), [kept]);
    await request(t.app).delete(`/api/admin/restore/uploads/${kept}`).set('Cookie', cookie).expect(200);
  });

  it('marks an analysis whose process died as failed in extraction-status', async () => {
    const id = (await upload(t, cookie, archive, 'x.tar.gz')).body.upload_id;
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await db(t).uploads.update(id, { status: 'analyzing', analysisStartedAt: longAgo, heartbeatAt: longAgo, progress: 40 });
    const status = await request(t.app).get(`/api/admin/restore/uploads/${id}/extraction-status`).set('Cookie', cookie);
    assert.equal(status.body.status, 'failed');
    assert.match(status.body.error, /analyze the upload again/);
    const again = await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', cookie);
    assert.equal(again.body.valid, true);
    await request(t.app).delete(`/api/admin/restore/uploads/${id}`).set('Cookie', cookie).expect(200);
  });

  it('POST /cleanup removes expired sessions, reset tokens, uploads, leftover files and old login attempts, and says so', async () => {
    const database = db(t);
    const [root] = (await database.records.readSnapshot(async (r) => {
      const rows = [];
      for await (const row of r.stream('users')) rows.push(row);
      return rows;
    })).filter((u) => u.username === ROOT.username);
    const past = new Date(Date.now() - 3600_000).toISOString();
    const future = new Date(Date.now() + 3600_000).toISOString();
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const ids = { expiredSession: randomUUID(), liveSession: randomUUID(), oldAttempt: randomUUID(), recentAttempt: randomUUID(), resetUser: randomUUID(), freshResetUser: randomUUID() };
    await database.records.writeTransaction(async (w) => {
      await w.insert('user_sessions', [
        { id: ids.expiredSession, user_id: root.id, token_hash: 'a', expires_at: past },
        { id: ids.liveSession, user_id: root.id, token_hash: 'b', expires_at: future },
      ]);
      await w.insert('users', [
        { id: ids.resetUser, username: 'forgetful', email: 'f@example.org', password: 'x', reset_token: 'stale-token', reset_token_expires: past },
        { id: ids.freshResetUser, username: 'hopeful', email: 'h@example.org', password: 'x', reset_token: 'fresh-token', reset_token_expires: future },
      ]);
      await w.insert('login_attempts', [
        { id: ids.oldAttempt, ip_address: '10.0.0.9', username: 'x', success: false, attempted_at: daysAgo(40) },
        { id: ids.recentAttempt, ip_address: '10.0.0.9', username: 'x', success: false, attempted_at: daysAgo(29) },
      ]);
    });
    const expiredUpload = (await upload(t, cookie, archive, 'old.tar.gz')).body.upload_id;
    await database.uploads.update(expiredUpload, { expiresAt: new Date(Date.now() - 1000) });
    const keptUpload = (await upload(t, cookie, archive, 'keep.tar.gz')).body.upload_id;
    await blobs(t).put(`tmp/uploads/${randomUUID()}.tar.gz`, (async function* () { yield Buffer.from('orphan'); })());
    await blobs(t).put('tmp/uploads/stray.part', (async function* () { yield Buffer.from('orphan'); })());

    const res = await request(t.app).post('/api/admin/cleanup').set('Cookie', cookie);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    assert.deepEqual(res.body.removed, { expired_sessions: 1, expired_reset_tokens: 1, expired_uploads: 1, temp_files: 2, old_login_attempts: 1 });
    assert.match(res.body.message, /1 expired session\b/);
    assert.match(res.body.message, /1 expired restore upload\b/);
    assert.match(res.body.message, /2 leftover temporary files/);
    assert.match(res.body.message, /1 login attempt older than 30 days/);

    const left = await database.records.readSnapshot(async (r) => {
      const collect = async (table: 'user_sessions' | 'users' | 'login_attempts') => {
        const rows = [];
        for await (const row of r.stream(table)) rows.push(row);
        return rows;
      };
      return { sessions: await collect('user_sessions'), users: await collect('users'), attempts: await collect('login_attempts') };
    });
    const sessionIds = left.sessions.map((s) => s.id);
    assert.ok(!sessionIds.includes(ids.expiredSession) && sessionIds.includes(ids.liveSession));
    const forgetful = left.users.find((u) => u.id === ids.resetUser)!;
    assert.deepEqual([forgetful.reset_token, forgetful.reset_token_expires], ['', null]);
    assert.equal(left.users.find((u) => u.id === ids.freshResetUser)!.reset_token, 'fresh-token');
    const attemptIds = left.attempts.map((a) => a.id);
    assert.ok(!attemptIds.includes(ids.oldAttempt) && attemptIds.includes(ids.recentAttempt));
    assert.deepEqual((await tempFiles(t)).uploads, [`tmp/uploads/${keptUpload}.tar.gz`]);
    assert.equal(await database.uploads.get(expiredUpload), null);

    const again = await request(t.app).post('/api/admin/cleanup').set('Cookie', cookie);
    assert.deepEqual(again.body.removed, { expired_sessions: 0, expired_reset_tokens: 0, expired_uploads: 0, temp_files: 0, old_login_attempts: 0 });
    await request(t.app).delete(`/api/admin/restore/uploads/${keptUpload}`).set('Cookie', cookie).expect(200);
  });
});

describe('restore upload size cap (MAX_RESTORE_UPLOAD_BYTES=100KB, UPLOAD_RETENTION_HOURS=2)', function () {
  let t: TestService;
  let cookie: string;
  const LIMIT = 100_000;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: ROOT.username, AUTH_PASSWORD: ROOT.password, MAX_RESTORE_UPLOAD_BYTES: '100KB', UPLOAD_RETENTION_HOURS: '2' });
    cookie = await login(t, ROOT.username, ROOT.password);
  });
  after(async () => {
    await t?.stop();
  });

  async function assertNothingKept(): Promise<void> {
    assert.deepEqual(await tempFiles(t), { uploads: [], staging: [] });
    assert.deepEqual(await allRows(t), []);
  }

  function assertTooLarge(res: { status: number; body: any }): void {
    assert.equal(res.status, 413, JSON.stringify(res.body));
    assert.equal(res.body.code, 'file_too_large');
    assert.match(res.body.error, /MAX_RESTORE_UPLOAD_BYTES/);
    assert.match(res.body.error, /100000 bytes/);
  }

  const cases: [string, number, boolean][] = [
    ['with a Content-Length far over the cap (refused before reading)', 300_000, true],
    ['with a Content-Length just over the cap (cut off by the byte count)', LIMIT + 20_000, true],
    ['without a Content-Length (chunked)', 300_000, false],
    ['one byte over, chunked', LIMIT + 1, false],
  ];
  for (const [label, size, known] of cases) {
    it(`answers 413 file_too_large ${label}, leaving no file and no row`, async () => {
      const { body, contentType } = multipartBody('backup_file', 'big.tar.gz', randomBytes(size));
      const res = await postRaw(t.app, '/api/admin/restore/upload', { Cookie: cookie, 'Content-Type': contentType }, body, known);
      assertTooLarge(res);
      if (known && size > LIMIT + 64 * 1024) assert.equal(res.headers.connection, 'close', 'refused up front, connection not kept for the rest');
      await assertNothingKept();
      await request(t.app).get('/healthz').expect(200);
    });
  }

  it('accepts a file of exactly the cap, chunked, and keeps it for UPLOAD_RETENTION_HOURS', async () => {
    const { body, contentType } = multipartBody('backup_file', 'fits.tar.gz', randomBytes(LIMIT));
    const res = await postRaw(t.app, '/api/admin/restore/upload', { Cookie: cookie, 'Content-Type': contentType }, body, false);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.file_size, LIMIT);
    const hoursLeft = (Date.parse(res.body.expires_at) - Date.now()) / 3600_000;
    assert.ok(hoursLeft > 1.9 && hoursLeft <= 2, String(hoursLeft));
    await request(t.app).delete(`/api/admin/restore/uploads/${res.body.upload_id}`).set('Cookie', cookie).expect(200);
  });

  it('applies the same cap to POST /backup/analyze, with and without a Content-Length', async () => {
    for (const known of [true, false]) {
      const { body, contentType } = multipartBody('backup_file', 'big.tgz', randomBytes(250_000));
      assertTooLarge(await postRaw(t.app, '/api/admin/backup/analyze', { Cookie: cookie, 'Content-Type': contentType }, body, known));
    }
    const viaSupertest = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', randomBytes(150_000), 'b.tar.gz');
    assertTooLarge(viaSupertest);
    await assertNothingKept();
  });
});

describe('restore uploads over HTTP (postgres + s3)', function () {
  let setup: BackendSetup;
  let t: TestService;
  let cookie: string;

  before(async function () {
    setup = await backendEnv(this, 'postgres', 's3');
    t = await startTestService({ ...setup.env, AUTH_USERNAME: ROOT.username, AUTH_PASSWORD: ROOT.password });
    cookie = await login(t, ROOT.username, ROOT.password);
  });
  after(async () => {
    await t?.stop();
    await setup?.cleanup();
  });

  it('keeps the upload in the bucket, analyzes it from there, and deletes the object', async () => {
    const archive = await backupArchive(t, cookie);
    const up = await upload(t, cookie, archive, 'from-pg.tar.gz');
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const id = up.body.upload_id;
    const key = `tmp/uploads/${id}.tar.gz`;
    assert.equal((await blobs(t).stat(key))?.size, archive.length, 'stored as an object in the bucket');

    const list = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', cookie);
    assert.deepEqual(list.body.uploads.map((u: { id: string }) => u.id), [id]);
    const analyzed = await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', cookie);
    assert.equal(analyzed.status, 200, JSON.stringify(analyzed.body));
    assert.equal(analyzed.body.valid, true, JSON.stringify(analyzed.body.metadata.errors));
    assert.equal(analyzed.body.metadata.database_type, 'postgres');
    assert.equal(analyzed.body.metadata.user_count, 1);
    assert.equal((await db(t).uploads.get(id))?.analysis?.valid, true);
    const status = await request(t.app).get(`/api/admin/restore/uploads/${id}/extraction-status`).set('Cookie', cookie);
    assert.equal(status.body.status, 'completed');

    const hostile = await upload(t, cookie, await readFile(join(FIXTURES, 'hostile/dotdot-name.tar.gz')), 'dotdot.tar.gz');
    const bad = await request(t.app).post(`/api/admin/restore/uploads/${hostile.body.upload_id}/analyze`).set('Cookie', cookie);
    assert.equal(bad.body.valid, false);

    for (const uploadId of [id, hostile.body.upload_id]) {
      await request(t.app).delete(`/api/admin/restore/uploads/${uploadId}`).set('Cookie', cookie).expect(200);
    }
    assert.equal(await blobs(t).stat(key), null, 'object removed');
    assert.deepEqual((await blobs(t).listPage('tmp/')).items, []);
    assert.deepEqual(await allRows(t), []);
  });
});
