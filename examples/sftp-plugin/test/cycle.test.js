'use strict';
// Backup → verify → restore with STORAGE_BACKEND=sftp through the service's HTTP API: the archive is
// written to and read back from the SSH server, and so are the documents. PROVISIONAL: the plugin is
// handed over by embedding (createAviaryBackup({ plugins })) until the service loads AVIARY_PLUGINS;
// then this runs the standalone server with AVIARY_PLUGINS=<this package>.
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { mkdtemp, rm } = require('node:fs/promises');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const express = require('express');
const { createAviaryBackup, PluginRegistry } = require('aviary-backup');
const plugin = require('..');
const { scratchRoot } = require('./server');

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('backup → verify → restore on SFTP storage', function () {
  this.timeout(180_000);
  let scratch, dataDir, service, server, base, cookie, store;

  before(async () => {
    scratch = await scratchRoot();
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-sftp-cycle-'));
    const env = { ...scratch.env, DATA_DIR: dataDir, AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1', LOG_LEVEL: 'error' };
    service = createAviaryBackup({ env, plugins: [plugin] });
    const app = express();
    app.use(service.router);
    await service.start();
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${server.address().port}`;
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: 'root-password-1' }),
    });
    assert.equal(login.status, 200);
    cookie = login.headers.get('set-cookie').split(';')[0];
    // A second connection to the same folder, as an operator's tool would have.
    const resolved = new PluginRegistry().use(plugin).resolveStorage('sftp', scratch.env, dataDir);
    store = await resolved.backend.definition.create(resolved.backend.options, { dataDir, logger: console });
  });

  after(async () => {
    await store?.close();
    await service?.close();
    server?.close();
    await scratch?.remove();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const api = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { cookie, ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) },
      body: body instanceof FormData ? body : body && JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
  };

  it('a document deleted after the backup is back, byte for byte, after the restore', async () => {
    const me = (await api('GET', '/api/auth/check')).body.user;
    const key = `users/${me.id}/pdfs/Bücher/Vol. 1 — 50% #1.pdf`;
    const content = randomBytes(300_000);
    await store.put(key, (async function* () { yield content; })());

    const created = await api('POST', '/api/admin/backup-job');
    assert.equal(created.status, 200, JSON.stringify(created.body));
    let job;
    for (let i = 0; i < 600; i++) {
      job = (await api('GET', `/api/admin/backup-job/${created.body.job_id}`)).body;
      if (job.status === 'completed' || job.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.verified, true, 'the finished archive was re-read and every checksum matched');
    const backups = (await store.listPage('backups/')).items.map((i) => i.key);
    assert.ok(backups.some((k) => k.endsWith(job.filename)), `the archive is on the SSH server: ${backups.join(', ')}`);

    await store.delete(key);
    assert.equal(await store.stat(key), null);

    const archive = await api('GET', `/api/admin/backup-job/${created.body.job_id}/download`);
    assert.equal(archive.status, 200);
    const form = new FormData();
    form.append('backup_file', new Blob([archive.body]), 'backup.tar.gz');
    const uploaded = await api('POST', '/api/admin/restore/upload', form);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    const analyzed = await api('POST', `/api/admin/restore/uploads/${uploaded.body.upload_id}/analyze`);
    assert.equal(analyzed.body.valid, true, JSON.stringify(analyzed.body));
    const restored = await api('POST', '/api/admin/restore', { upload_id: uploaded.body.upload_id, overwrite_database: true, overwrite_files: true, user_ids: [] });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));

    assert.deepEqual(await readAll(await store.get(key)), content);
  });
});
