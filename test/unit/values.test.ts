import assert from 'node:assert/strict';
import { canonicalTime, coerceValue } from '../../src/domain/schema/values';
import { column } from '../../src/domain/schema/column';

describe('archive value normalisation', () => {
  it('converts times with offsets and nanoseconds to UTC, keeping every digit', () => {
    assert.equal(canonicalTime('2025-08-01T10:30:00.123456789-06:00'), '2025-08-01T16:30:00.123456789Z');
    assert.equal(canonicalTime('2025-08-01T23:30:00+02:30'), '2025-08-01T21:00:00Z');
    assert.equal(canonicalTime('2025-12-31T23:59:59.5-01:00'), '2026-01-01T00:59:59.5Z');
    assert.equal(canonicalTime('2025-08-01 10:30:00.100000+00:00'), '2025-08-01T10:30:00.1Z');
    assert.equal(canonicalTime('0001-01-01T00:00:00Z'), '0001-01-01T00:00:00Z');
  });

  it('rejects what is not a time', () => {
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', '2025-08-01', '2025-08-01T25:00:00Z']) {
      assert.equal(canonicalTime(bad), null, bad);
    }
  });

  it('maps Go zero time to null for nullable times only', () => {
    assert.deepEqual(coerceValue(column('t', 'time', { nullable: true }), '0001-01-01T00:00:00Z'), { ok: true, value: null });
    assert.deepEqual(coerceValue(column('t', 'time'), '0001-01-01T00:00:00Z'), { ok: true, value: '0001-01-01T00:00:00Z' });
  });

  it('coerces driver values and refuses wrong types with the column named', () => {
    assert.deepEqual(coerceValue(column('b', 'bool'), 1), { ok: true, value: true });
    assert.deepEqual(coerceValue(column('n', 'bigint'), '5000000000'), { ok: true, value: 5000000000 });
    assert.deepEqual(coerceValue(column('u', 'uuid'), 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE'), { ok: true, value: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' });
    const bad = coerceValue(column('folder_depth_limit', 'int'), 'deep');
    assert.equal(bad.ok, false);
    assert.match((bad as { problem: string }).problem, /folder_depth_limit/);
    assert.equal(coerceValue(column('s', 'string', { length: 3 }), 'abcd').ok, false);
    assert.equal(coerceValue(column('s', 'text'), null).ok, false);
  });
});
