import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { startTestService, TestService } from '../support/service';

const ARCHIVE = join(__dirname, '..', 'fixtures', 'archives', 'hostile', 'dotdot-name.tar.gz');
const TOKEN = 'scrape-token-0123456789';

/** A Prometheus client requesting from another address than loopback, as a scraper in another container. */
function remote(app: express.Express): express.Express {
  const outer = express();
  outer.use((req, _res, next) => {
    Object.defineProperty(req.socket, 'remoteAddress', { value: '10.0.0.7', configurable: true });
    next();
  });
  outer.use(app);
  return outer;
}

const sample = (text: string, name: string, labels = ''): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('GET /metrics (Prometheus)', () => {
  let t: TestService;
  let cookie: string;
  before(async () => {
    t = await startTestService({ METRICS_TOKEN: TOKEN, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
    const login = await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
  });
  after(() => t.stop());

  it('refuses a scraper without the METRICS_TOKEN bearer (401), and a wrong one', async () => {
    assert.equal((await request(remote(t.app)).get('/metrics')).status, 401);
    assert.equal((await request(remote(t.app)).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789')).status, 401);
  });

  it('reports the last successful backup per trigger, its duration and size, restore outcomes and upload bytes', async () => {
    const job = await request(t.app).post('/api/admin/backup-job').set('Cookie', cookie);
    assert.equal(job.status, 200);
    let done: { file_size: number; completed_at: string } | undefined;
    while (!done) {
      const body = (await request(t.app).get(`/api/admin/backup-job/${job.body.job_id}`).set('Cookie', cookie)).body;
      assert.notEqual(body.status, 'failed');
      if (body.status === 'completed') done = body;
      else await new Promise((r) => setTimeout(r, 50));
    }
    const archive = await readFile(ARCHIVE);
    const upload = await request(t.app).post('/api/admin/restore/upload').set('Cookie', cookie).attach('backup_file', archive, 'a.tar.gz');
    assert.equal(upload.status, 200);
    // A malformed request is a 400 before any restore starts; an invalid archive is a refused restore.
    const malformed = await request(t.app).post('/api/admin/restore').set('Cookie', cookie)
      .send({ upload_id: upload.body.upload_id, overwrite_database: false, overwrite_files: false });
    assert.equal(malformed.status, 400);
    const refused = await request(t.app).post('/api/admin/restore').set('Cookie', cookie)
      .send({ upload_id: upload.body.upload_id, overwrite_database: true, overwrite_files: true });
    assert.equal(refused.status, 422);

    const res = await request(remote(t.app)).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const text = res.text;
    assert.equal(sample(text, 'aviary_backup_last_success_timestamp_seconds', '{trigger="manual"}'), Math.floor(Date.parse(done.completed_at) / 1000));
    assert.equal(sample(text, 'aviary_backup_last_size_bytes', '{trigger="manual"}'), done.file_size);
    assert.ok(sample(text, 'aviary_backup_last_duration_seconds', '{trigger="manual"}')! >= 0);
    assert.equal(sample(text, 'aviary_backup_jobs', '{status="completed"}'), 1);
    assert.equal(sample(text, 'aviary_backup_jobs', '{status="failed"}'), 0);
    assert.equal(sample(text, 'aviary_backup_restores_total', '{outcome="refused"}'), 1);
    assert.equal(sample(text, 'aviary_backup_restores_total', '{outcome="succeeded"}'), 0);
    assert.equal(sample(text, 'aviary_backup_restore_upload_bytes_total'), archive.length);
    assert.match(text, /^process_resident_memory_bytes /m);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(() => t.stop());

  it('answers loopback clients only; a proxied request (X-Forwarded-For) counts as remote', async () => {
    assert.equal((await request(t.app).get('/metrics')).status, 200);
    assert.equal((await request(remote(t.app)).get('/metrics')).status, 403);
    assert.equal((await request(t.app).get('/metrics').set('X-Forwarded-For', '203.0.113.9')).status, 403);
  });
});
