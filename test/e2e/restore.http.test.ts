import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { BACKUP_RESTORE_LOCK } from '../../src/application/ports/lock-store.port';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { ourArchive } from '../support/archive-builder';
import { startTestService, TestService } from '../support/service';
import { otherHolder } from '../fakes/in-memory.lock-store';

const OTHER_RESTORE = { ...otherHolder('restore', 'other-replica'), runId: 'abc' };
import { untar } from '../support/tar';

const fixtures = join(__dirname, '..', 'fixtures', 'archives');

describe('POST /api/admin/restore', () => {
  let t: TestService;
  let cookie: string;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
    const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
  });
  after(() => t.stop());

  async function upload(file: string): Promise<string> {
    const res = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', readFileSync(join(fixtures, file)), 'backup.tar.gz');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.upload_id;
  }

  it('refuses unknown uploads (404), wrong types (400) and a hostile archive (422) without changing anything', async () => {
    const unknown = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: crypto.randomUUID(), overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error_type, 'upload_not_found');
    const badType = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: crypto.randomUUID(), overwrite_database: 'yes' });
    assert.equal(badType.status, 400);
    const notAnId = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: '../../etc/passwd' });
    assert.equal(notAnId.status, 400);
    const hostile = await upload('hostile/dotdot-name.tar.gz');
    const res = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: hostile, overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'archive_invalid');
    assert.equal(res.body.error_type, 'restore_import_failed', "a key Aviary's UI translates");
    assert.match(res.body.error, /\.\.\/evil\.sh/);
    assert.equal((await request(t.app).get('/api/auth/check').set('Cookie', cookie)).body.authenticated, true);
  });

  it('answers 409 while another backup or restore holds the lock', async () => {
    const id = await upload('historical/go-metadata-first.tar.gz');
    const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    await db.locks.acquire(BACKUP_RESTORE_LOCK, OTHER_RESTORE, 60_000, 'restore abc');
    try {
      const res = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'operation_in_progress');
    } finally {
      await db.locks.release(BACKUP_RESTORE_LOCK, OTHER_RESTORE);
    }
  });

  it('records a failed background restore with the code and type a synchronous one answers with', async () => {
    const hostile = await upload('hostile/dotdot-name.tar.gz');
    const started = await request(t.app).post('/api/admin/restore').set('Cookie', cookie)
      .send({ upload_id: hostile, overwrite_database: true, overwrite_files: true, user_ids: [], async: true });
    assert.equal(started.status, 202);
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 500 && status.status !== 'failed' && status.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await request(t.app).get(`/api/admin/restore/${started.body.job_id}`).set('Cookie', cookie)).body;
    }
    assert.equal(status.status, 'failed');
    assert.equal(status.code, 'archive_invalid');
    assert.equal(status.error_type, 'restore_import_failed');
    assert.match(String(status.error), /\.\.\/evil\.sh/);
    assert.equal(typeof status.completed_at, 'string');
    const other = await request(t.app).get('/api/admin/restore/not-a-run').set('Cookie', cookie);
    assert.equal(other.status, 404);
    assert.equal(other.body.code, 'restore_not_found');
  });

  it('runs asynchronously with async=true: 202, then progress to completion; the replaced admin then gets 401', async () => {
    const id = await upload('historical/go-metadata-first.tar.gz');
    const started = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [], async: true });
    assert.equal(started.status, 202);
    assert.equal(started.body.success, true);
    let status: { status: string; progress: number } | undefined;
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const res = await request(t.app).get(`/api/admin/restore/${started.body.job_id}`).set('Cookie', cookie);
      if (res.status === 401) break; // the restore replaced our own account: polling ends here
      status = res.body;
      seen.add(res.body.progress);
      if (res.body.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    for (let i = 0; i < 300 && (await db.accounts.findUserByLogin('root')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await db.accounts.findUserByLogin('root'), null, 'the archive replaced the users');
    assert.notEqual(status?.status, 'failed');
    const after = await request(t.app).get('/api/admin/status').set('Cookie', cookie);
    assert.equal(after.status, 401);
    assert.deepEqual(after.body, { error: 'Authentication required', code: 'authentication_required' });
    const admin = await request(t.app).post('/api/auth/login').send({ username: 'admin', password: 'correct horse battery staple' });
    assert.equal(admin.status, 200, 'the archive admin logs in with the original password');
  });

  it('answers 409 to a second restore sent while the first one runs', async () => {
    // After the async test the archive's own admin is the one that exists.
    const login = await request(t.app).post('/api/auth/login').send({ username: 'admin', password: 'correct horse battery staple' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
    const id = await upload('historical/go-metadata-first.tar.gz');
    const body = { upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] };
    const first = request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body).then((r) => r);
    // The second is sent once the first holds the lock (its safety backup is being written).
    const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    for (let i = 0; i < 500 && !(await db.locks.current(BACKUP_RESTORE_LOCK)); i++) await new Promise((r) => setTimeout(r, 2));
    const second = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body);
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'operation_in_progress');
    assert.equal((await first).status, 200);
  });

  it('removes a restored upload (row and file), so it is never offered or restored twice; a failed one stays', async () => {
    const login = await request(t.app).post('/api/auth/login').send({ username: 'admin', password: 'correct horse battery staple' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
    const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    const refused = await upload('hostile/dotdot-name.tar.gz');
    const bad = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: refused, overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(bad.status, 422);
    assert.ok(await db.uploads.get(refused), 'a refused upload is kept for another look');

    const id = await upload('historical/go-metadata-first.tar.gz');
    const key = (await db.uploads.get(id))!.storageKey;
    const done = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(await db.uploads.get(id), null, 'the row is gone');
    assert.equal(await t.service.container!.get<BlobStore>(TOKENS.BlobStore).stat(key), null, 'the file is gone');
    // The archive holds the NULLs of an upgraded install; its users and keys work as they did.
    const again = await request(t.app).post('/api/auth/login').send({ username: 'admin', password: 'correct horse battery staple' });
    cookie = again.headers['set-cookie'][0].split(';')[0];
    assert.equal((await request(t.app).post('/api/auth/login').send({ username: 'alice', password: 'alice-in-aviary-1' })).status, 200);
    const bob = await request(t.app).post('/api/auth/login').send({ username: 'bob', password: 'bob-is-deactivated-2' });
    assert.equal(bob.body.error, 'backend.auth.account_disabled', 'deactivated stays deactivated');
    const byKey = await request(t.app).get('/api/admin/status').set('X-API-Key', 'aviary_0123456789abcdef0123456789abcdef');
    assert.equal(byKey.status, 200, 'the archived API key authenticates');
    const listed = await request(t.app).get('/api/admin/restore/uploads').set('Cookie', cookie);
    assert.ok(!(listed.body.uploads as { upload_id?: string; id?: string }[]).some((u) => (u.upload_id ?? u.id) === id));
    const twice = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(twice.status, 404);
    assert.equal(twice.body.error_type, 'upload_not_found');
  });

  it('refuses an archive with NULL in a column Aviary declares not null, naming the row and the column', async () => {
    const id = await upload('hostile/null-api-key-hash.tar.gz');
    const res = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(res.status, 422);
    assert.equal(res.body.error_type, 'restore_import_failed');
    assert.match(res.body.error, /database\/api_keys\.json row \[0\]: key_hash must not be null/);
  });

  it("newer archives through Aviary's card (which cannot send force): refused only when they hold data that would be dropped", async () => {
    const body = (id: string) => ({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] });
    const dropping = await upload('hostile/newer-aviary-unknown-data.tar.gz');
    const refused = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body(dropping));
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'backup_version_newer');
    assert.equal(refused.body.error_type, 'restore_import_failed');
    const harmless = await upload('hostile/newer-aviary-version.tar.gz');
    const restored = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body(harmless));
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.ok((restored.body.warnings as string[]).some((w) => /restores without loss/.test(w)), JSON.stringify(restored.body.warnings));
  });
});

describe('POST /api/admin/restore of an upload changed in storage after its analysis', () => {
  let t: TestService;
  let cookie: string;
  const fixture = readFileSync(join(fixtures, 'historical/go-metadata-first.tar.gz'));
  const withChecksums = readFileSync(join(fixtures, 'historical/ours-with-checksums.tar.gz'));
  const body = (id: string) => ({ upload_id: id, overwrite_database: true, overwrite_files: true, user_ids: [] });

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
    const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
  });
  after(() => t.stop());

  /** Uploads and analyses `original`, then puts `replacement` where the upload is stored. */
  async function analysedThenReplaced(original: Buffer, replacement: Buffer): Promise<string> {
    const res = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', original, 'backup.tar.gz');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const id: string = res.body.upload_id;
    const analysed = await request(t.app).post(`/api/admin/restore/uploads/${id}/analyze`).set('Cookie', cookie);
    assert.equal(analysed.body.valid, true, JSON.stringify(analysed.body));
    assert.equal(analysed.body.metadata.restore_plan.leaves_no_admin, false);
    const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
    const key = (await db.uploads.get(id))!.storageKey;
    await blobs.delete(key);
    await blobs.put(key, (async function* () { yield replacement; })(), { size: replacement.length });
    return id;
  }

  const rootStillAdmin = async () => {
    const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
    assert.equal(login.status, 200, 'the current admin is untouched');
  };

  it('now leaving no admin: a 409 refusal (restore_leaves_no_admin), not a 500, and nothing changed', async () => {
    const entries = [...untar(fixture)].filter(([name]) => name !== 'checksums.sha256').map(([name, b]) => ({
      name,
      body: name === 'database/users.json' ? JSON.stringify(JSON.parse(b.toString()).map((u: object) => ({ ...u, is_admin: false }))) : b,
    }));
    const id = await analysedThenReplaced(fixture, await ourArchive(entries, { checksums: true }));
    const res = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body(id));
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.code, 'restore_leaves_no_admin');
    assert.match(res.body.error, /no active admin/);
    await rootStillAdmin();
  });

  it('with a document no longer matching checksums.sha256: refused 422 by the restore\'s own pass, nothing changed', async () => {
    const entries = [...untar(withChecksums)].map(([name, b]) => ({ name, body: b }));
    assert.equal(entries[entries.length - 1].name, 'checksums.sha256');
    const doc = entries.find((e) => e.name.startsWith('filesystem/documents/') && e.body.length > 0)!;
    doc.body = Buffer.concat([doc.body.subarray(1), Buffer.from([doc.body[0] ^ 0xff])]);
    const id = await analysedThenReplaced(withChecksums, await ourArchive(entries));
    const res = await request(t.app).post('/api/admin/restore').set('Cookie', cookie).send(body(id));
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.code, 'archive_invalid');
    assert.match(res.body.error, /sha256 mismatch/);
    await rootStillAdmin();
  });
});
