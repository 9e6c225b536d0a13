import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { KeySet } from '../../src/application/use-cases/validate-archive/key-set';

/**
 * Adds every key as rows 0, 1, …; checks that the rows found repeating (at once by `add`, or at the
 * end by `laterRepeats`) are exactly those a Set finds, each once, with its key; returns how many.
 * UUIDs compare without case, as the set reads them.
 */
function addChecked(set: KeySet, keys: readonly string[]): number {
  const reference = new Set<string>();
  const expected: number[] = [];
  const found: number[] = [];
  keys.forEach((key, row) => {
    const folded = /^[0-9a-f-]{36}$/i.test(key) ? key.toLowerCase() : key;
    if (reference.has(folded)) expected.push(row);
    reference.add(folded);
    if (!set.add(key, row)) found.push(row);
  });
  for (const repeat of set.laterRepeats()) {
    assert.equal(repeat.key, keys[repeat.row].toLowerCase(), `row ${repeat.row}`);
    found.push(repeat.row);
  }
  assert.deepEqual(found.sort((x, y) => x - y), expected);
  return expected.length;
}

describe('KeySet (primary and unique keys seen by validation)', () => {
  it('finds every repeat and nothing else, among random UUIDs, sequential UUIDs and other strings', () => {
    const keys: string[] = [];
    for (let i = 0; i < 20_000; i++) keys.push(randomUUID());
    // Fixtures number their ids: UUIDs that differ only in the last digits must not collide.
    for (let i = 0; i < 5_000; i++) keys.push(`a0b1c2d3-e4f5-4a6b-8c7d-${String(i).padStart(12, '0')}`);
    for (let i = 0; i < 1_000; i++) keys.push(`user-${i}`);
    const withRepeats = [...keys, ...keys.filter((_, i) => i % 7 === 0)].sort(() => Math.random() - 0.5);
    assert.ok(addChecked(new KeySet(), withRepeats) > 3_000);
  });

  it('finds every repeat among mostly ascending UUIDs, as archives list them, with keys out of order in between', () => {
    const sorted = Array.from({ length: 30_000 }, () => randomUUID()).sort();
    const keys: string[] = [];
    for (let i = 0; i < sorted.length; i++) {
      keys.push(sorted[i]);
      // Now and then a key from much later (it comes again in its place: a repeat above the run's
      // last), a repeat of a key already passed, or a brand-new key below the run's last.
      if (i % 97 === 0) keys.push(sorted[Math.min(sorted.length - 1, i + 500)]);
      if (i % 89 === 0 && i > 0) keys.push(sorted[Math.max(0, i - 1 - (i % 50))]);
      if (i % 101 === 0) keys.push(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    }
    const repeats = addChecked(new KeySet(), keys);
    assert.ok(repeats > 600, `only ${repeats} repeats were tried`);
  });

  it('finds a key repeated many times once per later row, the earliest row keeping it', () => {
    const keys = Array.from({ length: 5_000 }, () => randomUUID());
    const withRepeats = [...keys];
    for (let i = 0; i < 300; i++) withRepeats.splice(Math.floor(Math.random() * withRepeats.length), 0, keys[i % 3]);
    assert.equal(addChecked(new KeySet(), withRepeats), 300);
  });

  // Keys aimed at one hash share a bin however far the sort goes: heapsort must find every repeat too
  // (and not take quadratic time, which a timing test could not show here).
  it('finds every repeat when bins hold thousands of keys, as when they hold a few', () => {
    const keys = Array.from({ length: 24_000 }, () => randomUUID());
    const withRepeats = [...keys, ...keys.filter((_, i) => i % 5 === 0)].sort(() => Math.random() - 0.5);
    // Repeats of the keys just added.
    for (let i = 0; i < withRepeats.length; i += 211) withRepeats.splice(i + 1, 0, withRepeats[i]);
    for (const hashBytes of [0, 1, 4]) {
      const repeats = addChecked(new KeySet({ hashBytes }), withRepeats);
      assert.ok(repeats > 4_800, `only ${repeats} repeats were tried`);
    }
  });

  it('treats UUIDs case-insensitively, as the archive does', () => {
    const set = new KeySet();
    assert.equal(set.add('AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', 0), true);
    assert.equal(set.add('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 1), false);
    // Out of order, found at the end, named in lower case.
    const later = new KeySet();
    later.add('ffffffff-0000-4000-8000-000000000000', 0);
    later.add('AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', 1);
    assert.equal(later.add('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 2), true);
    assert.deepEqual(later.laterRepeats(), [{ row: 2, key: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }]);
  });

  it('keeps keys that only look like UUIDs apart from the UUIDs and from each other', () => {
    const set = new KeySet();
    assert.equal(set.add('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee0', 0), true);
    let row = 1;
    for (const key of ['aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeeg', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee@', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee`', 'aaaaaaaa_bbbb-4ccc-8ddd-eeeeeeeeeee0', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeee0']) {
      assert.equal(set.add(key, row++), true, key);
      assert.equal(set.add(key, row++), false, key);
    }
    assert.deepEqual(set.laterRepeats(), []);
  });

  it('holds a million UUIDs in random order in 20 bytes each with their rows (a hash table at half load took 34)', function () {
    this.timeout(60_000);
    const set = new KeySet();
    for (let i = 0; i < 1_000_000; i++) assert.equal(set.add(randomUUID(), i), true);
    const perKey = set.uuidBytes() / 1_000_000;
    assert.ok(perKey >= 20 && perKey < 20.5, `${perKey.toFixed(1)} bytes a key`);
    assert.deepEqual(set.laterRepeats(), []);
  });
});
