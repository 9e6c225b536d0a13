import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { errorMapper } from '../../src/adapters/http/error-mapper';
import { isDomainError, NotFoundError } from '../../src/domain/errors';
import { silentLogger } from '../support/service';

/** A plugin's own copy of the error classes: same fields, another class. */
class ForeignDomainError extends Error {
  constructor(readonly category: string, readonly code: string, message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

describe('domain errors are recognised by category and code, not by class', () => {
  const ours = new NotFoundError('blob_not_found', 'Blob "a" not found');
  const copies = {
    'ours': ours,
    'a second copy of the class': new ForeignDomainError('not_found', 'blob_not_found', 'Blob "a" not found'),
    'a plain object': { category: 'not_found', code: 'blob_not_found', message: 'Blob "a" not found' },
  };

  it('isDomainError accepts every copy, and matches a code or a category', () => {
    for (const [what, error] of Object.entries(copies)) {
      assert.ok(isDomainError(error), what);
      assert.ok(isDomainError(error, 'not_found') && isDomainError(error, 'blob_not_found'), what);
      assert.ok(!isDomainError(error, 'conflict'), what);
    }
    for (const other of [new Error('x'), { code: 'ENOENT' }, { category: 'weird', code: 'x' }, null, 'not_found']) {
      assert.equal(isDomainError(other), false, String(other));
    }
  });

  it('the HTTP error mapper answers the same status and body for every copy', async () => {
    const answers = [];
    for (const error of Object.values(copies)) {
      const app = express();
      app.get('/x', () => {
        throw error;
      });
      app.use(errorMapper(silentLogger));
      const res = await request(app).get('/x');
      answers.push({ status: res.status, body: res.body });
    }
    assert.equal(answers[0].status, 404);
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
  });
});
