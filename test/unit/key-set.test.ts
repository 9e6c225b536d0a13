import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { KeySet } from '../../src/application/use-cases/validate-archive/key-set';

describe('KeySet (primary and unique keys seen by validation)', () => {
  it('finds every repeat and nothing else, among random UUIDs, sequential UUIDs and other strings', () => {
    const set = new KeySet();
    const reference = new Set<string>();
    const keys: string[] = [];
    for (let i = 0; i < 20_000; i++) keys.push(randomUUID());
    // Fixtures number their ids: UUIDs that differ only in the last digits must not collide.
    for (let i = 0; i < 5_000; i++) keys.push(`a0b1c2d3-e4f5-4a6b-8c7d-${String(i).padStart(12, '0')}`);
    for (let i = 0; i < 1_000; i++) keys.push(`user-${i}`);
    const withRepeats = [...keys, ...keys.filter((_, i) => i % 7 === 0)].sort(() => Math.random() - 0.5);
    for (const key of withRepeats) {
      const expected = !reference.has(key);
      reference.add(key);
      assert.equal(set.add(key), expected, key);
    }
  });

  it('treats UUIDs case-insensitively, as the archive does', () => {
    const set = new KeySet();
    assert.equal(set.add('AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE'), true);
    assert.equal(set.add('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'), false);
  });
});
