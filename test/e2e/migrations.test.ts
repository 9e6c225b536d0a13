import assert from 'node:assert/strict';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { seedData, seedPassword } from '../../scripts/seed-data';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { startTestService, TestService } from '../support/service';
import { captureState } from '../support/state';

type Side = [DatabaseKind, StorageKind];

const DIRECTIONS: [string, Side, Side][] = [
  ['SQLite + filesystem → PostgreSQL + S3', ['sqlite', 'filesystem'], ['postgres', 's3']],
  ['PostgreSQL + S3 → SQLite + filesystem', ['postgres', 's3'], ['sqlite', 'filesystem']],
  ['S3 bucket A → S3 bucket B', ['postgres', 's3'], ['postgres', 's3']],
  ['PostgreSQL + filesystem → SQLite + S3', ['postgres', 'filesystem'], ['sqlite', 's3']],
];

const ADMIN = { AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' };

async function adminCookie(t: TestService): Promise<string> {
  const res = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.headers['set-cookie'][0].split(';')[0];
}

const binary = (res: NodeJS.ReadableStream, cb: (err: Error | null, body: Buffer) => void) => {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.on('end', () => cb(null, Buffer.concat(parts)));
};

async function backupOverHttp(t: TestService, cookie: string): Promise<Buffer> {
  const created = await request(t.app).post('/api/admin/backup-job').set('Cookie', cookie);
  assert.equal(created.status, 200);
  for (let i = 0; i < 600; i++) {
    const job = (await request(t.app).get(`/api/admin/backup-job/${created.body.job_id}`).set('Cookie', cookie)).body;
    if (job.status === 'failed') assert.fail(job.error_message);
    if (job.status === 'completed') {
      const res = await request(t.app).get(`/api/admin/backup-job/${job.id}/download`).set('Cookie', cookie).buffer(true).parse(binary as never);
      assert.equal(res.status, 200);
      return res.body as Buffer;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('backup did not finish');
}

for (const [title, [fromDb, fromStorage], [toDb, toStorage]] of DIRECTIONS) {
  describe(`migration over the public API: ${title}`, function () {
    const setups: BackendSetup[] = [];
    const services: TestService[] = [];
    after(async () => {
      for (const s of services) await s.stop();
      for (const s of setups) await s.cleanup();
    });

    it('restores every row column by column and every file byte for byte; old passwords and API keys work', async function () {
      const sourceSetup = await backendEnv(this, fromDb, fromStorage);
      setups.push(sourceSetup);
      const source = await startTestService({ ...sourceSetup.env, ...ADMIN });
      services.push(source);
      const sourceDb = source.service.container!.get<DatabaseBackend>(TOKENS.Database);
      const sourceBlobs = source.service.container!.get<BlobStore>(TOKENS.BlobStore);
      const seeded = await seedData({ records: sourceDb.records, blobs: sourceBlobs }, { users: 5, documents: 40, bytes: 4_000_000, seed: title });
      const archive = await backupOverHttp(source, await adminCookie(source));
      const expected = await captureState(sourceDb.records, sourceBlobs);

      const targetSetup = await backendEnv(this, toDb, toStorage);
      setups.push(targetSetup);
      const target = await startTestService({ ...targetSetup.env, ...ADMIN });
      services.push(target);
      const cookie = await adminCookie(target);
      const upload = await request(target.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', archive, 'aviary_backup.tar.gz');
      assert.equal(upload.status, 200, JSON.stringify(upload.body));
      const analysis = await request(target.app).post(`/api/admin/restore/uploads/${upload.body.upload_id}/analyze`).set('Cookie', cookie);
      assert.equal(analysis.body.valid, true, JSON.stringify(analysis.body.metadata?.errors));
      assert.equal(analysis.body.metadata.document_count, seeded.documents.length);
      const restored = await request(target.app)
        .post('/api/admin/restore')
        .set('Cookie', cookie)
        .send({ upload_id: upload.body.upload_id, overwrite_database: true, overwrite_files: true, user_ids: [], safety_backup: false });
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.equal(restored.body.success, true);

      const targetDb = target.service.container!.get<DatabaseBackend>(TOKENS.Database);
      const targetBlobs = target.service.container!.get<BlobStore>(TOKENS.BlobStore);
      const actual = await captureState(targetDb.records, targetBlobs);
      for (const table of Object.keys(expected.tables)) assert.deepEqual(actual.tables[table], expected.tables[table], table);
      assert.deepEqual(actual.files, expected.files);
      assert.equal(Object.keys(actual.files).length, seeded.documents.length);

      for (const user of seeded.users.filter((u) => u.isActive)) {
        const login = await request(target.app).post('/api/auth/login').send({ username: user.username, password: seedPassword(user.username) });
        assert.equal(login.status, 200, `${user.username} logs in with the old password`);
        for (const key of user.apiKeys.filter((k) => k.active && (k.expiresInDays === null || k.expiresInDays > 0))) {
          const check = await request(target.app).get('/api/auth/check').set('X-API-Key', key.key);
          assert.equal(check.body.authenticated, true, `${user.username}'s key ${key.name}`);
          assert.equal(check.body.user.id, user.id);
        }
      }
      // The target's own first admin was replaced by the archive's: its session no longer works.
      assert.equal((await request(target.app).get('/api/admin/status').set('Cookie', cookie)).status, 401);
    });
  });
}
