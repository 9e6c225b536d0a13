import assert from 'node:assert/strict';
import { assertValidKey, keyProblem } from '../../src/domain/storage-key';

describe('storage keys (docs/archive-format.md)', () => {
  it('accepts real document names, including dots inside a name', () => {
    for (const key of ['users/u/pdfs/Vol..2.pdf', 'users/u/pdfs/a b/Überweisung 日本語.pdf', 'backups/x.tar.gz', '.hidden/x']) {
      assert.equal(keyProblem(key), null, key);
    }
  });

  it('refuses empty, absolute, dot segments, NUL and backslash with a reason', () => {
    const cases: Record<string, RegExp> = {
      '': /empty/, '/etc/passwd': /absolute/, 'a//b': /empty segment/, 'a/../b': /"\.\."/, './a': /"\."/,
      'a\\b': /backslash/, 'a\u0000b': /NUL/, 'a/': /empty segment/,
    };
    for (const [key, reason] of Object.entries(cases)) {
      assert.throws(() => assertValidKey(key), (e: Error & { code?: string }) => e.code === 'invalid_storage_key' && reason.test(e.message), JSON.stringify(key));
    }
  });
});
