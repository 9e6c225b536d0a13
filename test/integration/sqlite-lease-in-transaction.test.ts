import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { localHolder } from '../../src/adapters/system/process-liveness';
import { sqlitePlugin } from '../../src/plugins/builtin/sqlite.plugin';
import { createFromRegistry } from '../contract/record-store.contract';

/**
 * SQLite has one write connection, and a restore holds it in its transaction for the whole database
 * phase. Lease renewals used to queue behind it on the main knex and give up after knex's one-minute
 * wait for a connection: a restore with a database phase over a minute lost its lock and rolled back.
 * They now run inside the open transaction and are written again once it ends.
 */
describe('SQLite: the restore lease is renewed while this process holds the write transaction', function () {
  this.timeout(30_000);
  let dir: string;
  let db: DatabaseBackend;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-lease-trx-'));
    db = await createFromRegistry(sqlitePlugin, 'sqlite', { DB_PATH: join(dir, 'aviary.db') }, dir);
    await db.migrate();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Resolves with the renewal's answer, or rejects when it waits longer than `ms` (the old behaviour). */
  function renewWithin(lock: string, holder: ReturnType<typeof localHolder>, ttlMs: number, ms: number): Promise<boolean> {
    return Promise.race([
      db.locks.renew(lock, holder, ttlMs),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`renew waited over ${ms} ms for the write connection`)), ms)),
    ]);
  }

  for (const ending of ['commits', 'rolls back'] as const) {
    it(`answers at once during the transaction, and the lease stays extended after it ${ending}`, async () => {
      const lock = `lock-${randomUUID()}`;
      const holder = localHolder('restore', randomUUID());
      assert.equal(await db.locks.acquire(lock, holder, 60_000, 'restore test'), true);
      const transaction = db.records.writeTransaction(async (writer) => {
        await writer.delete('login_attempts');
        assert.equal(await renewWithin(lock, holder, 600_000, 5_000), true, 'renewed inside the open transaction');
        if (ending === 'rolls back') throw new Error('the restore failed');
      });
      if (ending === 'rolls back') await assert.rejects(transaction, /the restore failed/);
      else await transaction;
      // The renewal is written again after the end (a rollback undid the one inside).
      let expires = 0;
      for (let i = 0; i < 50 && expires < Date.now() + 300_000; i++) {
        expires = (await db.locks.current(lock))?.expiresAt.getTime() ?? 0;
        if (expires < Date.now() + 300_000) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(expires > Date.now() + 300_000, `lease extended to the renewal's 10 minutes (expires in ${expires - Date.now()} ms)`);
      assert.deepEqual((await db.locks.current(lock))?.holder, holder);
    });
  }

  it('a holder that is not the lease holder still gets false inside the transaction', async () => {
    const lock = `lock-${randomUUID()}`;
    assert.equal(await db.locks.acquire(lock, localHolder('backup'), 60_000, 'backup'), true);
    await db.records.writeTransaction(async () => {
      assert.equal(await renewWithin(lock, localHolder('restore', randomUUID()), 60_000, 5_000), false);
    });
  });
});
