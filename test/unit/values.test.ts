import assert from 'node:assert/strict';
import { canonicalTime, coerceValue, isUuid } from '../../src/domain/schema/values';
import { column } from '../../src/domain/schema/column';
import { AVIARY_TABLES } from '../../src/domain/schema/aviary-schema';

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
  });

  it('reads NULL as Aviary (Go) does: kept for pointer fields, refused for `not null` columns, the zero value otherwise', () => {
    assert.deepEqual(coerceValue(column('oidc_subject', 'string', { nullable: true }), null), { ok: true, value: null });
    const refused = coerceValue(column('username', 'string', { notNull: true }), null);
    assert.deepEqual(refused, { ok: false, problem: 'username must not be null' });
    assert.deepEqual(coerceValue(column('rmapi_config', 'text'), null), { ok: true, value: '' });
    assert.deepEqual(coerceValue(column('remote_path', 'string', { length: 1000 }), null), { ok: true, value: '' });
    assert.deepEqual(coerceValue(column('page_dpi', 'float'), null), { ok: true, value: 0 });
    assert.deepEqual(coerceValue(column('file_size', 'bigint'), undefined), { ok: true, value: 0 });
    assert.deepEqual(coerceValue(column('is_admin', 'bool'), null), { ok: true, value: false });
    assert.deepEqual(coerceValue(column('created_at', 'time'), null), { ok: true, value: '0001-01-01T00:00:00Z' });
  });

  it("marks exactly the columns Aviary's models declare `not null` (and the primary keys)", () => {
    const notNull = AVIARY_TABLES.flatMap((t) => t.columns.filter((c) => c.notNull).map((c) => `${t.name}.${c.name}`));
    assert.deepEqual(notNull.sort(), [
      'api_keys.id', 'api_keys.key_hash', 'api_keys.key_prefix', 'api_keys.name', 'api_keys.user_id',
      'documents.document_name', 'documents.id', 'documents.user_id',
      'login_attempts.id', 'login_attempts.ip_address',
      'system_settings.key',
      'user_folders_cache.folder_path', 'user_folders_cache.id', 'user_folders_cache.user_id',
      'user_sessions.expires_at', 'user_sessions.id', 'user_sessions.token_hash', 'user_sessions.user_id',
      'users.email', 'users.id', 'users.password', 'users.username',
    ]);
    for (const t of AVIARY_TABLES) {
      assert.ok(t.columns.find((c) => c.name === t.primaryKey)?.notNull, `${t.name} primary key`);
    }
  });

  it('gives the same canonical times as plain date arithmetic, on the fast path and off it', () => {
    const reference = (y: number, mo: number, d: number, h: number, mi: number, sec: number, frac: string, offset: number) => {
      const date = new Date(0);
      date.setUTCFullYear(y, mo - 1, d);
      date.setUTCHours(h, mi - offset, sec, 0);
      const f = frac.replace(/0+$/, '');
      return `${date.toISOString().slice(0, 19)}${f ? '.' + f : ''}Z`;
    };
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const p2 = (n: number) => String(n).padStart(2, '0');
    for (let i = 0; i < 5000; i++) {
      const [y, mo] = [1 + rand(3000), 1 + rand(12)];
      const monthEnd = new Date(0);
      monthEnd.setUTCFullYear(y, mo, 0);
      const [d, h, mi, sec] = [1 + rand(monthEnd.getUTCDate()), rand(24), rand(60), rand(60)];
      const frac = rand(3) === 0 ? '' : String(rand(10 ** 9)).padStart(1 + rand(9), '0');
      const offset = rand(2) === 0 ? 0 : (rand(2) ? 1 : -1) * (rand(14) * 60 + (rand(2) ? 30 : 0));
      const zone = offset === 0 ? (rand(2) ? 'Z' : '+00:00') : `${offset < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(offset) / 60))}:${p2(Math.abs(offset) % 60)}`;
      const sep = rand(2) ? 'T' : ' ';
      const text = `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}${sep}${p2(h)}:${p2(mi)}:${p2(sec)}${frac ? '.' + frac : ''}${zone}`;
      assert.equal(canonicalTime(text), reference(y, mo, d, h, mi, sec, frac, offset), text);
    }
    assert.equal(canonicalTime('0001-01-01 00:00:00+00:00'), '0001-01-01T00:00:00Z');
    assert.equal(canonicalTime('2024-02-29T12:00:00Z'), '2024-02-29T12:00:00Z');
    assert.equal(canonicalTime('2025-08-01T10:30:00.120Z'), '2025-08-01T10:30:00.12Z');
  });

  it('keeps the last days of each month as they are, and rolls a day the month lacks over as Date does', () => {
    for (const t of ['2025-01-31T10:00:00Z', '2025-04-30T10:00:00.5Z', '2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '0000-02-29T00:00:00Z']) {
      assert.equal(canonicalTime(t), t);
    }
    assert.equal(canonicalTime('2025-01-31 10:00:00.500000+02:00'), '2025-01-31T08:00:00.5Z');
    assert.equal(canonicalTime('2025-02-29T00:00:00Z'), '2025-03-01T00:00:00Z');
    assert.equal(canonicalTime('2025-04-31T10:00:00Z'), '2025-05-01T10:00:00Z');
    assert.equal(canonicalTime('1900-02-29T00:00:00Z'), '1900-03-01T00:00:00Z');
    assert.equal(canonicalTime('2025-01-31T23:30:00-01:00'), '2025-02-01T00:30:00Z');
  });

  it('refuses a year with a character that is not a digit', () => {
    for (const bad of ['20x5-08-01T10:00:00Z', '20x5-08-01 10:00:00+00:00', 'x025-08-01T10:00:00Z']) assert.equal(canonicalTime(bad), null, bad);
  });

  it('knows a UUID by its 8-4-4-4-12 hex digits in either case, and lowers its case', () => {
    const uuid = column('u', 'uuid');
    assert.deepEqual(coerceValue(uuid, 'aBcDeF01-2345-6789-abcd-EF0123456789'), { ok: true, value: 'abcdef01-2345-6789-abcd-ef0123456789' });
    for (const bad of ['abcdef01-2345-6789-abcd-ef012345678', 'abcdef01-2345-6789-abcd-ef01234567890', 'abcdef0g-2345-6789-abcd-ef0123456789', 'abcdef01_2345-6789-abcd-ef0123456789', 'abcdef01-2345-6789-abcd-ef012345678@', 'abcdef01-2345-6789-abcd-ef012345678`']) {
      assert.equal(isUuid(bad), false, bad);
      assert.equal(coerceValue(uuid, bad).ok, false, bad);
    }
    assert.equal(coerceValue(uuid, 12).ok, false);
  });
});
