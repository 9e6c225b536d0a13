import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Router } from 'express';
import request from 'supertest';
import { documentedRoutes } from '../../src/adapters/http/openapi';
import { HTTP_TOKENS } from '../../src/composition/http-tokens';
import { expressRoutes } from '../support/express-routes';
import { startTestService, type TestService } from '../support/service';

describe('GET /api/openapi.json', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService({ METRICS_ENABLED: 'true' });
  });
  after(() => t?.stop());

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = (await request(t.app).get('/api/openapi.json')).body;
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(validator.version, '3.1');
    assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 2));
    assert.equal(result.valid, true);
  });

  it('the validator refuses a broken document (so the check above can fail)', async () => {
    const doc = (await request(t.app).get('/api/openapi.json')).body;
    doc.paths['/api/admin/restore'].post.responses = 'none';
    assert.equal((await new Validator().validate(doc)).valid, false);
  });

  it('lists exactly the routes the Express routers answer', () => {
    const router = t.service.container!.get<Router>(HTTP_TOKENS.ApiRouter);
    assert.deepEqual(documentedRoutes(), expressRoutes(router));
  });

  it('documents every path parameter, and a body for every route that reads one', async () => {
    const doc = (await request(t.app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, { content?: unknown }> }>> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
          assert.ok(op.parameters?.some((p) => p.in === 'path' && p.name === name), `${method} ${path}: ${name}`);
        }
        for (const [status, answer] of Object.entries(op.responses)) assert.ok(answer.content, `${method} ${path} ${status} has content`);
      }
    }
    for (const [path, method] of [['/api/auth/login', 'post'], ['/api/profile/password', 'put'], ['/api/admin/restore', 'post'], ['/api/admin/restore/upload', 'post'], ['/api/admin/backup/analyze', 'post']]) {
      assert.ok(doc.paths[path][method].requestBody, `${method} ${path} has a body`);
    }
  });
});
