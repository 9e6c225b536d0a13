import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { AVIARY_TABLES } from '../../src/domain/schema/aviary-schema';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { waitForJob } from '../support/backup-jobs';
import { startTestService, TestService } from '../support/service';

async function* bytes(data: Buffer) {
  yield data;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Three users with documents in subfolders; returns what storage holds per key. */
async function seedSmall(t: TestService): Promise<{ users: string[]; files: Map<string, Buffer> }> {
  const db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
  const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
  const users: string[] = [];
  const files = new Map<string, Buffer>();
  for (const name of ['ada', 'bob', 'cyd']) {
    const user = await db.accounts.createUser({ username: name, email: `${name}@example.org`, passwordHash: '$2b$04$abcdefghijklmnopqrstuu', isAdmin: false });
    users.push(user.id);
    await db.records.writeTransaction(async (w) => {
      await w.insert('api_keys', [{ id: crypto.randomUUID(), user_id: user.id, name: 'k', key_hash: '$2b$04$x', key_prefix: 'aviary_' + name }]);
      await w.insert('documents', [{ id: crypto.randomUUID(), user_id: user.id, document_name: 'a.pdf', file_size: 10 }]);
      await w.insert('login_attempts', [{ id: crypto.randomUUID(), ip_address: '10.0.0.1', username: name, success: true }]);
    });
    for (const rel of ['a.pdf', 'Sub folder/Überweisung 日本語.pdf', 'deep/er/Vol..2.pdf']) {
      const data = randomBytes(1000 + rel.length * 37);
      const key = `users/${user.id}/pdfs/${rel}`;
      await blobs.put(key, bytes(data), { size: data.length });
      files.set(key, data);
    }
  }
  return { users, files };
}


async function extract(archive: Buffer): Promise<{ dir: string; names: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-extract-'));
  await writeFile(join(dir, 'backup.tar.gz'), archive);
  const names = execFileSync('tar', ['tzf', 'backup.tar.gz'], { cwd: dir }).toString().trim().split('\n');
  await mkdir(join(dir, 'x'));
  execFileSync('tar', ['xzf', '../backup.tar.gz'], { cwd: join(dir, 'x') });
  return { dir, names };
}

for (const [db, storage] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  describe(`backups over HTTP (${db} + ${storage})`, function () {
    let setup: BackendSetup;
    let t: TestService;
    let cookie: string;
    let seeded: { users: string[]; files: Map<string, Buffer> };
    const dirs: string[] = [];

    before(async function () {
      setup = await backendEnv(this, db, storage);
      t = await startTestService({ ...setup.env, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
      const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
      cookie = login.headers['set-cookie'][0].split(';')[0];
      seeded = await seedSmall(t);
    });
    after(async () => {
      await t?.stop();
      await setup?.cleanup();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });

    it('creates a complete archive: metadata first, every table and column, every file byte-identical, checksums pass', async () => {
      const created = await request(t.app).post('/api/admin/backup-job').set('Cookie', cookie);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.success, true);
      const job = await waitForJob(t, cookie, created.body.job_id);
      assert.equal(job.status, 'completed', job.error_message);
      assert.equal(job.progress, 100);
      assert.match(job.filename, /^aviary_backup_\d{8}_\d{6}(_\d+)?\.tar\.gz$/);

      const download = await request(t.app).get(`/api/admin/backup-job/${job.id}/download`).set('Cookie', cookie).buffer(true).parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
      assert.equal(download.status, 200);
      assert.equal(download.headers['content-type'], 'application/gzip');
      assert.equal(download.headers['content-disposition'], `attachment; filename="${job.filename}"`);
      assert.equal(Number(download.headers['content-length']), job.file_size);
      const archive = download.body as Buffer;
      assert.equal(archive.length, job.file_size);

      const { dir, names } = await extract(archive);
      dirs.push(dir);
      assert.equal(names[0], 'metadata.json');
      assert.equal(names[names.length - 1], 'checksums.sha256');
      execFileSync('sha256sum', ['-c', '--quiet', 'checksums.sha256'], { cwd: join(dir, 'x') });
      const checksumLines = (await readFile(join(dir, 'x', 'checksums.sha256'), 'utf8')).trim().split('\n');
      assert.equal(checksumLines.length, names.length - 1, 'one checksum per entry before the manifest');

      const metadata = JSON.parse(await readFile(join(dir, 'x', 'metadata.json'), 'utf8'));
      assert.deepEqual(Object.keys(metadata).slice(0, 10), [
        'aviary_version', 'git_commit', 'export_timestamp', 'database_type', 'users_exported', 'total_documents',
        'total_size_bytes', 'exported_tables', 'total_users', 'total_api_keys',
      ]);
      assert.equal(metadata.database_type, db);
      assert.equal(metadata.total_users, 4);
      assert.equal(metadata.total_api_keys, 3);
      assert.equal(metadata.total_documents, seeded.files.size);
      assert.equal(metadata.total_size_bytes, [...seeded.files.values()].reduce((s, b) => s + b.length, 0));
      assert.deepEqual([...metadata.exported_tables].sort(), AVIARY_TABLES.map((t) => t.name).sort());
      assert.deepEqual([...metadata.users_exported].sort(), [...seeded.users, metadata.users_exported.find((id: string) => !seeded.users.includes(id))].sort());

      for (const table of AVIARY_TABLES) {
        const rows = JSON.parse(await readFile(join(dir, 'x', 'database', `${table.name}.json`), 'utf8'));
        assert.ok(Array.isArray(rows), table.name);
        assert.equal(rows.length, metadata.tables[table.name], table.name);
        for (const row of rows) assert.deepEqual(Object.keys(row), table.columns.map((c) => c.name), `${table.name} columns`);
      }
      for (const [key, data] of seeded.files) {
        const [, userId, , ...rest] = key.split('/');
        const onDisk = await readFile(join(dir, 'x', 'filesystem', 'documents', userId, ...rest));
        assert.equal(sha(onDisk), sha(data), key);
      }
    });

    it('serves byte ranges of the archive', async () => {
      const jobs = await request(t.app).get('/api/admin/backup-jobs').set('Cookie', cookie);
      const job = jobs.body.jobs.find((j: { status: string }) => j.status === 'completed');
      const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
      const whole = await collect(await blobs.get(job.file_path));
      const part = await request(t.app).get(`/api/admin/backup-job/${job.id}/download`).set('Cookie', cookie).set('Range', 'bytes=10-99').buffer(true).parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 10-99/${whole.length}`);
      assert.deepEqual(part.body, whole.subarray(10, 100));
      const bad = await request(t.app).get(`/api/admin/backup-job/${job.id}/download`).set('Cookie', cookie).set('Range', `bytes=${whole.length + 5}-`);
      assert.equal(bad.status, 416);
    });

    it('exports only the selected user: their rows, their login attempts, their files', async () => {
      const [chosen] = seeded.users;
      const created = await request(t.app).post(`/api/admin/backup-job?user_ids=${chosen}`).set('Cookie', cookie);
      const job = await waitForJob(t, cookie, created.body.job_id);
      assert.equal(job.status, 'completed', job.error_message);
      assert.equal(job.user_ids, chosen);
      const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
      const { dir, names } = await extract(await collect(await blobs.get(job.file_path)));
      dirs.push(dir);
      const docs = names.filter((n) => n.startsWith('filesystem/documents/'));
      assert.equal(docs.length, 3);
      assert.ok(docs.every((n) => n.startsWith(`filesystem/documents/${chosen}/`)));
      const read = async (table: string) => JSON.parse(await readFile(join(dir, 'x', 'database', `${table}.json`), 'utf8'));
      assert.deepEqual((await read('users')).map((u: { id: string }) => u.id), [chosen]);
      assert.ok((await read('api_keys')).every((k: { user_id: string }) => k.user_id === chosen));
      assert.equal((await read('api_keys')).length, 1);
      assert.deepEqual((await read('login_attempts')).map((a: { username: string }) => a.username), ['ada']);
      assert.equal((await read('system_settings')).length, 10);
      const metadata = JSON.parse(await readFile(join(dir, 'x', 'metadata.json'), 'utf8'));
      assert.deepEqual(metadata.users_exported, [chosen]);
    });

    it('refuses bad ids with Aviary error types and deletes a backup with its file', async () => {
      assert.equal((await request(t.app).get('/api/admin/backup-job/not-a-uuid').set('Cookie', cookie)).body.error_type, 'invalid_job_id');
      const missing = await request(t.app).get(`/api/admin/backup-job/${crypto.randomUUID()}`).set('Cookie', cookie);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error_type, 'backup_job_not_found');
      const unknownUser = await request(t.app).post(`/api/admin/backup-job?user_ids=${crypto.randomUUID()}`).set('Cookie', cookie);
      assert.equal(unknownUser.status, 400);
      assert.equal(unknownUser.body.code, 'invalid_user_ids');
      assert.equal((await request(t.app).get('/api/admin/backup-jobs')).status, 401);

      const jobs = (await request(t.app).get('/api/admin/backup-jobs').set('Cookie', cookie)).body.jobs;
      const target = jobs[jobs.length - 1];
      const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
      assert.ok(await blobs.stat(target.file_path));
      const del = await request(t.app).delete(`/api/admin/backup-job/${target.id}`).set('Cookie', cookie);
      assert.deepEqual(del.body, { success: true, message: 'Backup deleted' });
      assert.equal(await blobs.stat(target.file_path), null);
      assert.equal((await request(t.app).get(`/api/admin/backup-job/${target.id}`).set('Cookie', cookie)).status, 404);
      const status = await request(t.app).get('/api/admin/backup-status').set('Cookie', cookie);
      assert.equal(status.status, 200);
      assert.ok(status.body.last_success.job_id);
    });
  });
}
