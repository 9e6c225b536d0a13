import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AVIARY_ERROR_TYPES, aviaryErrorType } from '../../src/adapters/http/aviary-error-types';
import type { ErrorCategory } from '../../src/domain/errors';
import { startTestService, TestService } from '../support/service';

const CATEGORY_OF_CLASS: Record<string, ErrorCategory> = {
  InvalidInputError: 'invalid', NotFoundError: 'not_found', ConflictError: 'conflict', UnavailableError: 'unavailable',
  AuthenticationError: 'unauthenticated', ForbiddenError: 'forbidden',
};

/** Every (category, code) the sources can raise, read from the error constructors in src/. */
function raisedErrors(): { category: ErrorCategory; code: string; where: string }[] {
  const found: { category: ErrorCategory; code: string; where: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/new (\w+Error)\(\s*'([a-z_]+)',\s*'([a-z_.]+)'/g)) {
          if (m[1] === 'DomainError') found.push({ category: m[2] as ErrorCategory, code: m[3], where: path });
        }
        for (const m of text.matchAll(/new (\w+Error)\(\s*'([a-z_.]+)'/g)) {
          const category = CATEGORY_OF_CLASS[m[1]];
          if (category) found.push({ category, code: m[2], where: path });
        }
      }
    }
  };
  walk(join(__dirname, '..', '..', 'src'));
  return found;
}

/** The operation keys the routers declare. */
function declaredOperations(): string[] {
  const dir = join(__dirname, '..', '..', 'src', 'adapters', 'http');
  const keys = new Set<string>();
  for (const name of readdirSync(dir)) {
    for (const m of readFileSync(join(dir, name), 'utf8').matchAll(/aviaryOperation\('([a-z_]+)'\)/g)) keys.add(m[1]);
  }
  return [...keys];
}

describe("error_type: only keys Aviary's UI translates", () => {
  it('every error the sources raise maps, on every route, to a translated key or to none', () => {
    const errors = raisedErrors();
    assert.ok(errors.length > 40, `found ${errors.length} error sites`);
    const operations = [undefined, ...declaredOperations()];
    assert.ok(operations.length > 8);
    for (const { category, code, where } of errors) {
      for (const operation of operations) {
        const key = aviaryErrorType(code, category, operation);
        if (key !== undefined) assert.ok(AVIARY_ERROR_TYPES.has(key), `${code} (${where}) on ${operation} → ${key}`);
      }
    }
  });

  it('an invalid archive at restore is restore_import_failed with code archive_invalid; a missing upload stays upload_not_found', () => {
    assert.equal(aviaryErrorType('archive_invalid', 'integrity', 'restore_import_failed'), 'restore_import_failed');
    assert.equal(aviaryErrorType('upload_not_found', 'not_found', 'restore_import_failed'), 'upload_not_found');
    assert.equal(aviaryErrorType('invalid_user_ids', 'invalid', 'restore_import_failed'), 'invalid_request');
    assert.equal(aviaryErrorType('authentication_required', 'unauthenticated', 'restore_import_failed'), undefined);
  });

  describe('over HTTP, every route with bad input', () => {
    let t: TestService;
    let admin: string;

    before(async () => {
      t = await startTestService({ AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
      admin = (await request(t.app).post('/api/auth/login').send({ username: 'root', password: 'root-password-1' })).headers['set-cookie'][0].split(';')[0];
    });
    after(() => t.stop());

    it('answers JSON with `code`, and an `error_type` only from the list', async () => {
      const doc = (await request(t.app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const seen: string[] = [];
      const check = (label: string, res: request.Response) => {
        if (res.status < 400) return;
        assert.match(String(res.headers['content-type']), /json/, label);
        if (typeof res.body.error === 'string' && res.body.error.startsWith('backend.auth.')) return;
        assert.equal(typeof res.body.code, 'string', `${label}: ${JSON.stringify(res.body)}`);
        if (res.body.error_type !== undefined) {
          assert.ok(AVIARY_ERROR_TYPES.has(res.body.error_type), `${label} → error_type ${res.body.error_type}`);
        }
        seen.push(`${res.status} ${res.body.code}`);
      };
      const bodies: unknown[] = [undefined, { upload_id: 'x', overwrite_database: 'yes', user_ids: 'all' }, { upload_id: crypto.randomUUID() }];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const method of Object.keys(methods)) {
          if (path === '/api/auth/logout') continue;
          const call = (url: string) => (request(t.app) as unknown as Record<string, (u: string) => request.Test>)[method](url);
          const urls = path.includes('{id}') ? [path.replace(/\{id\}/g, 'not-an-id'), path.replace(/\{id\}/g, crypto.randomUUID())] : [path];
          for (const url of urls) {
            check(`anonymous ${method} ${url}`, await call(url));
            for (const body of bodies) {
              const req = call(url).set('Cookie', admin);
              check(`${method} ${url} ${JSON.stringify(body)}`, await (body === undefined ? req : req.send(body as object)));
            }
            check(`${method} ${url} malformed JSON`, await call(url).set('Cookie', admin).set('content-type', 'application/json').send('{"a":'));
          }
        }
      }
      check('upload without a file', await request(t.app).post('/api/admin/restore/upload').set('Cookie', admin).field('x', '1'));
      check('upload of a wrong type', await request(t.app).post('/api/admin/restore/upload').set('Cookie', admin).attach('backup_file', Buffer.from('x'), 'notes.txt'));
      check('unknown route', await request(t.app).get('/api/admin/nothing-here').set('Cookie', admin));
      for (const expected of ['401 authentication_required', '400 invalid_job_id', '404 backup_job_not_found', '404 upload_not_found', '400 no_backup_file', '400 invalid_file_type']) {
        assert.ok(seen.includes(expected), `the sweep reached ${expected} (saw ${[...new Set(seen)].join(', ')})`);
      }
      const noFile = await request(t.app).post('/api/admin/restore/upload').set('Cookie', admin).field('x', '1');
      assert.equal(noFile.body.error_type, 'no_backup_file');
    });
  });
});
