import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { ValidateArchive } from '../../src/application/use-cases/validate-archive.use-case';
import { AVIARY_ERROR_TYPES } from '../../src/adapters/http/aviary-error-types';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { waitForJob } from '../support/backup-jobs';
import { startTestService, TestService } from '../support/service';

async function* bytes(data: Buffer) {
  yield data;
}


for (const [db, storage] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  describe(`backups say what they could not do (${db} + ${storage})`, function () {
    let setup: BackendSetup;
    let t: TestService;
    let cookie: string;

    before(async function () {
      setup = await backendEnv(this, db, storage);
      t = await startTestService({ ...setup.env, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
      const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
      cookie = login.headers['set-cookie'][0].split(';')[0];
    });
    after(async () => {
      await t?.stop();
      await setup?.cleanup();
    });

    it('document rows whose files are not in storage: completed with a warning naming the count and examples, also in the analysis', async () => {
      const database = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
      const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
      const user = await database.accounts.createUser({ username: 'dora', email: 'dora@example.org', passwordHash: '$2b$04$abcdefghijklmnopqrstuu', isAdmin: false });
      const names = ['kept.pdf', 'Books/lost one.epub', 'lost-two.pdf', 'lost-three.pdf'];
      await database.records.writeTransaction((w) =>
        w.insert('documents', names.map((name, i) => ({
          id: crypto.randomUUID(), user_id: user.id, document_name: name.split('/').pop()!,
          // Aviary writes absolute paths under its data directory; one row carries none at all.
          local_path: i === 3 ? '' : `/data/users/${user.id}/pdfs/${name}`, file_size: 10,
        }))),
      );
      const kept = randomBytes(100);
      await blobs.put(`users/${user.id}/pdfs/kept.pdf`, bytes(kept), { size: kept.length });

      const created = await request(t.app).post('/api/admin/backup-job').set('Cookie', cookie);
      const job = await waitForJob(t, cookie, created.body.job_id);
      assert.equal(job.status, 'completed', job.error_message);
      const warning = (job.warnings as string[]).find((w) => /not in storage/.test(w));
      assert.ok(warning, JSON.stringify(job.warnings));
      assert.match(warning, /^2 document rows point at files/);
      assert.ok(warning.includes(`users/${user.id}/pdfs/Books/lost one.epub`) && warning.includes(`users/${user.id}/pdfs/lost-two.pdf`), warning);
      assert.ok(!warning.includes('kept.pdf'));

      const archive = await blobs.get(`backups/${job.filename}`);
      const analysis = await t.service.container!.get(ValidateArchive).execute({ source: archive });
      assert.equal(analysis.valid, true, analysis.errors.join('; '));
      assert.ok(analysis.warnings.some((w) => /2 document rows point at files that are not in storage/.test(w)), analysis.warnings.join('; '));
    });

    it('a job whose archive vanished from storage shows as failed, and its download says why with an Aviary key', async () => {
      const blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
      const created = await request(t.app).post('/api/admin/backup-job?include_files=false').set('Cookie', cookie);
      const job = await waitForJob(t, cookie, created.body.job_id);
      assert.equal(job.status, 'completed', job.error_message);
      await blobs.delete(`backups/${job.filename}`);

      const list = await request(t.app).get('/api/admin/backup-jobs').set('Cookie', cookie);
      const listed = (list.body.jobs as { id: string; status: string; error_message: string }[]).find((j) => j.id === job.id)!;
      assert.equal(listed.status, 'failed');
      assert.match(listed.error_message, /no longer in storage/);
      const one = await request(t.app).get(`/api/admin/backup-job/${job.id}`).set('Cookie', cookie);
      assert.equal(one.body.status, 'failed');
      const download = await request(t.app).get(`/api/admin/backup-job/${job.id}/download`).set('Cookie', cookie);
      assert.equal(download.status, 404);
      assert.equal(download.body.error_type, 'backup_file_unavailable');
      assert.ok(AVIARY_ERROR_TYPES.has(download.body.error_type));
      assert.match(download.body.error, /no longer in storage/);
    });
  });
}
