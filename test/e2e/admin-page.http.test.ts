import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { ensureAdminPageBuilt } from '../support/admin-page';
import { startTestService, TestService } from '../support/service';

/** How the service serves its admin page (the page itself is driven in admin-page.browser.test.ts). */
describe('the admin page as the service serves it', () => {
  let t: TestService;
  before(async () => {
    ensureAdminPageBuilt();
    t = await startTestService();
  });
  after(() => t.stop());

  it('answers / with the page: relative URLs only, a content security policy, gzip-compressed hashed assets', async () => {
    const page = await request(t.app).get('/').set('Accept-Encoding', 'gzip');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.equal(page.headers['content-encoding'], 'gzip');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.headers['content-security-policy'], /default-src 'self'/);
    assert.doesNotMatch(page.text, /(src|href)="\/|https?:\/\//, 'no absolute or external URL: the page works under any mount path and offline');
    const assets = [...page.text.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.equal(assets.length, 2, page.text);
    for (const asset of assets) {
      const res = await request(t.app).get(`/${asset}`).set('Accept-Encoding', 'gzip');
      assert.equal(res.status, 200, asset);
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.match(res.headers['cache-control'], /immutable/);
      const plain = await request(t.app).get(`/${asset}`).set('Accept-Encoding', 'identity');
      assert.equal(plain.headers['content-encoding'], undefined, 'sent uncompressed to clients that do not accept gzip');
      assert.ok(Number(plain.headers['content-length']) > Number(res.headers['content-length']));
    }
  });

  it('refuses asset names outside the built folder', async () => {
    for (const path of ['/assets/..%2Fpackage.json', '/assets/.hidden.js', '/assets/nothing-here.js']) {
      const res = await request(t.app).get(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.code, 'not_found');
    }
  });

  it('embedded under a mount path: /aviary redirects to /aviary/ so relative URLs resolve; the host keeps its own routes', async () => {
    const host = express();
    host.get('/', (_req, res) => res.send('host home'));
    host.use('/aviary', t.service.router);
    const bare = await request(host).get('/aviary?x=1');
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.location, '/aviary/?x=1');
    const page = await request(host).get('/aviary/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>Aviary backup<\/title>/);
    assert.equal((await request(host).get('/')).text, 'host home');
  });

  it('UI_ENABLED=false serves no page and leaves the API as it is', async () => {
    const off = await startTestService({ UI_ENABLED: 'false' });
    try {
      const page = await request(off.app).get('/');
      assert.equal(page.status, 404);
      assert.doesNotMatch(page.text, /Aviary backup/);
      assert.equal((await request(off.app).get('/api/config')).status, 200);
    } finally {
      await off.stop();
    }
  });
});
