import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { KeySet } from '../../src/application/use-cases/validate-archive/key-set';

/** Adds every key, checking each answer against a Set's; returns how many were repeats. */
function addChecked(set: KeySet, keys: readonly string[]): number {
  const reference = new Set<string>();
  let repeats = 0;
  for (const key of keys) {
    const expected = !reference.has(key);
    if (!expected) repeats++;
    reference.add(key);
    assert.equal(set.add(key), expected, key);
  }
  return repeats;
}

describe('KeySet (primary and unique keys seen by validation)', () => {
  it('finds every repeat and nothing else, among random UUIDs, sequential UUIDs and other strings', () => {
    const keys: string[] = [];
    for (let i = 0; i < 20_000; i++) keys.push(randomUUID());
    // Fixtures number their ids: UUIDs that differ only in the last digits must not collide.
    for (let i = 0; i < 5_000; i++) keys.push(`a0b1c2d3-e4f5-4a6b-8c7d-${String(i).padStart(12, '0')}`);
    for (let i = 0; i < 1_000; i++) keys.push(`user-${i}`);
    const withRepeats = [...keys, ...keys.filter((_, i) => i % 7 === 0)].sort(() => Math.random() - 0.5);
    addChecked(new KeySet(), withRepeats);
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

  // One bucket past 4096 keys: its search once went through the ascending run's block arithmetic
  // (index modulo 4096), and in such a bucket a repeat could pass as new.
  it('finds every repeat in buckets of thousands of keys, as in buckets of a few', () => {
    const set = new KeySet({ bits: 1, maxKeys: 1_000_000 });
    const keys = Array.from({ length: 24_000 }, () => randomUUID());
    const withRepeats = [...keys, ...keys.filter((_, i) => i % 5 === 0)].sort(() => Math.random() - 0.5);
    // Repeats of the keys just added.
    for (let i = 0; i < withRepeats.length; i += 211) withRepeats.splice(i + 1, 0, withRepeats[i]);
    const repeats = addChecked(set, withRepeats);
    for (const key of keys) assert.equal(set.add(key), false, key);
    assert.ok(repeats > 4_800, `only ${repeats} repeats were tried`);
  });

  it('treats UUIDs case-insensitively, as the archive does', () => {
    const set = new KeySet();
    assert.equal(set.add('AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE'), true);
    assert.equal(set.add('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'), false);
  });

  it('keeps keys that only look like UUIDs apart from the UUIDs and from each other', () => {
    const set = new KeySet();
    assert.equal(set.add('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee0'), true);
    for (const key of ['aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeeg', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee@', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee`', 'aaaaaaaa_bbbb-4ccc-8ddd-eeeeeeeeeee0', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeee0']) {
      assert.equal(set.add(key), true, key);
      assert.equal(set.add(key), false, key);
    }
  });

  it('holds a million UUIDs in random order in under 20 bytes each (a hash table at half load took 34)', function () {
    this.timeout(60_000);
    const set = new KeySet();
    for (let i = 0; i < 1_000_000; i++) assert.equal(set.add(randomUUID()), true);
    const perKey = set.uuidBytes() / 1_000_000;
    assert.ok(perKey > 16 && perKey < 20, `${perKey.toFixed(1)} bytes a key`);
  });

  it('finds every repeat once keys crowd a bucket past its limit into the overflow table', () => {
    const set = new KeySet({ bits: 1, maxKeys: 64 });
    const reference = new Set<string>();
    const keys = Array.from({ length: 3_000 }, () => randomUUID());
    const withRepeats = [...keys, ...keys.filter((_, i) => i % 3 === 0)].sort(() => Math.random() - 0.5);
    for (const key of withRepeats) {
      const expected = !reference.has(key.toLowerCase());
      reference.add(key.toLowerCase());
      assert.equal(set.add(Math.random() < 0.5 ? key : key.toUpperCase()), expected, key);
    }
    assert.ok(set.uuidBytes() > 128 * 16, 'the overflow table was used');
  });
});
