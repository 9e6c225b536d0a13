import assert from 'node:assert/strict';
import { withoutServerPaths } from '../../src/adapters/http/server-paths';

describe('withoutServerPaths (no server path in a response)', () => {
  it('masks absolute paths and keeps storage keys and archive entry names', () => {
    assert.equal(
      withoutServerPaths(`ENOENT: no such file or directory, open '/srv/aviary/data/users/a/pdfs/x.pdf'`),
      `ENOENT: no such file or directory, open '<path>'`,
    );
    assert.equal(withoutServerPaths('Filesystem storage at /var/lib/aviary is not writable'), 'Filesystem storage at <path> is not writable');
    const key = 'users/3f2b1c4e/pdfs/Sub folder/a.pdf was deleted during the backup';
    assert.equal(withoutServerPaths(key), key);
    const entry = 'Entry "filesystem/documents/u/../../etc/x": the name has a ".." segment';
    assert.equal(withoutServerPaths(entry), entry);
    assert.equal(withoutServerPaths(null), null);
  });
});
