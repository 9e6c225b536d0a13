import assert from 'node:assert/strict';
import request from 'supertest';
import type { BackupJobStore } from '../../src/application/ports/backup-job-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { startTestService, TestService } from '../support/service';

/** Malformed requests are answered 400 before anything is looked up or queued. */
describe('Request validation before lookups', () => {
  let t: TestService;
  let cookie: string;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
    const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
  });
  after(() => t.stop());

  const jobs = () => t.service.container!.get<DatabaseBackend>(TOKENS.Database).jobs as BackupJobStore;

  it('POST /admin/backup-job?tables=../x is a 400 naming the table, and queues nothing', async () => {
    const before = (await jobs().list()).length;
    for (const tables of ['../x', 'users,nope', 'system_settings,']) {
      const res = await request(t.app).post(`/api/admin/backup-job?tables=${encodeURIComponent(tables)}`).set('Cookie', cookie);
      if (tables === 'system_settings,') {
        assert.equal(res.status, 200, JSON.stringify(res.body)); // an empty item is no table at all
        continue;
      }
      assert.equal(res.status, 400, `${tables}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'invalid_tables');
      assert.match(res.body.error, tables === '../x' ? /\.\.\/x/ : /nope/);
    }
    assert.equal((await jobs().list()).length, before + 1);
  });

  it('a restore body with both overwrite flags false, or bad user_ids, is a 400 even for an unknown upload', async () => {
    const unknownUpload = crypto.randomUUID();
    const post = (body: Record<string, unknown>) => request(t.app).post('/api/admin/restore').set('Cookie', cookie).send({ upload_id: unknownUpload, ...body });
    const neither = await post({ overwrite_database: false, overwrite_files: false });
    assert.equal(neither.status, 400, JSON.stringify(neither.body));
    assert.equal(neither.body.code, 'nothing_to_restore');
    const badIds = await post({ user_ids: ['not-a-user-id'] });
    assert.equal(badIds.status, 400, JSON.stringify(badIds.body));
    assert.equal(badIds.body.code, 'invalid_user_ids');
    const badConfirm = await post({ confirm_no_admin: 'yes' });
    assert.equal(badConfirm.status, 400);
    // A well-formed request for an unknown upload is still a 404.
    assert.equal((await post({})).status, 404);
  });
});
