import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { JsonlRowSpoolFactory } from '../../src/adapters/restore/jsonl.row-spool';

const run = promisify(execFile);

/**
 * The restore's row spool on a real full disk (a 1 MiB tmpfs): the write error becomes a
 * `storage_full` error the restore can report, never an uncaught 'error' event that ends the process.
 */
describe('restore row spool on a full disk (1 MiB tmpfs)', () => {
  let mountPoint: string;
  let mounted = false;

  before(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'aviary-spool-full-'));
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountPoint]);
      mounted = true;
    } catch (error) {
      throw new Error(`Cannot mount a size-limited tmpfs at ${mountPoint} (this test needs root): ${(error as Error).message}`);
    }
  });
  after(async () => {
    if (mounted) await run('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('appending past the free space rejects with storage_full, and the spool can still be disposed', async () => {
    const spool = await new JsonlRowSpoolFactory(join(mountPoint, 'tmp-restore')).create(randomUUID());
    const row = { id: randomUUID(), ip_address: '192.0.2.1', username: 'x'.repeat(2_000), success: false, attempted_at: '2025-08-01T00:00:00Z', user_agent: '' };
    let failure: { category?: string; code?: string; message?: string } | undefined;
    for (let i = 0; i < 5_000 && !failure; i++) {
      await spool.append('login_attempts', { ...row, id: randomUUID() }).catch((error) => (failure = error));
    }
    if (!failure) {
      // The last writes may still be buffered: reading the spool back surfaces their error.
      await (async () => { for await (const _ of spool.rows('login_attempts')) void _; })().catch((error) => (failure = error));
    }
    assert.ok(failure, 'filling a 1 MiB disk with ~10 MB of rows must fail');
    assert.equal(failure.category, 'unavailable');
    assert.equal(failure.code, 'storage_full');
    assert.match(failure.message ?? '', /is full \(ENOSPC\).*free space/);
    await spool.dispose();
  });
});
