/**
 * Conformance suites for the stores of the database side that hold the service's own state, one suite per
 * port so each can be implemented (and faked) on its own. `setup` runs once per suite and resolves a store
 * on an empty, migrated database; `cleanup` (optional) removes what setup made.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AttemptCounterStore } from '../application/ports/attempt-counter-store.port';
import type { BackupJobStore } from '../application/ports/backup-job-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { HousekeepingStore } from '../application/ports/housekeeping-store.port';
import type { LockHolder, LockStore } from '../application/ports/lock-store.port';
import type { MigrationRunStore } from '../application/ports/migration-run-store.port';
import type { RecordStore } from '../application/ports/record-store.port';
import { restoreUploadKey, type RestoreUploadStore } from '../application/ports/restore-upload-store.port';
import type { BackupOptions } from '../domain/backup-job';
import { mocha } from './mocha-globals';

export interface StoreSubject<Store> {
  readonly store: Store;
  cleanup?(): Promise<void>;
}

type Setup<Subject> = () => Promise<Subject>;

/** Runs `setup` before the suite's tests and `cleanup` after them; the returned getter gives the subject. */
function withSubject<Subject extends { cleanup?(): Promise<void> }>(setup: Setup<Subject>): () => Subject {
  const { before, after } = mocha();
  let subject: Subject | undefined;
  before(async function () {
    this.timeout(60_000);
    subject = await setup();
  });
  after(async () => subject?.cleanup?.());
  return () => subject!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function lockStoreContract(label: string, setup: Setup<StoreSubject<LockStore>>): void {
  const { describe, it } = mocha();
  describe(`LockStore contract: ${label}`, () => {
    const subject = withSubject(setup);
    const name = () => `lock-${randomUUID()}`;
    const run = randomUUID();
    /** Holders are records: two holders differ in any field (here the process's host). */
    const holder = (host: string): LockHolder => ({ process: { host: `${host}-${run}`, pid: 4242, nonce: 'n' }, role: 'contract' });

    it('one holder at a time; the holder may take it again; release frees it for another', async () => {
      const { store } = subject();
      const lock = name();
      assert.equal(await store.acquire(lock, holder('a'), 60_000, 'backup'), true);
      assert.equal(await store.acquire(lock, holder('b'), 60_000, 'restore'), false);
      assert.equal(await store.acquire(lock, holder('a'), 60_000, 'backup'), true, 'the same holder again');
      const current = await store.current(lock);
      assert.deepEqual(current?.holder, holder('a'));
      assert.equal(current?.purpose, 'backup');
      assert.ok(current!.expiresAt.getTime() > current!.acquiredAt.getTime());
      await store.release(lock, holder('b')); // not the holder: no effect
      assert.deepEqual((await store.current(lock))?.holder, holder('a'));
      await store.release(lock, holder('a'));
      assert.equal(await store.current(lock), null);
      assert.equal(await store.acquire(lock, holder('b'), 60_000, 'restore'), true);
    });

    it('an expired lease is gone and can be taken by another holder; renew fails for the loser', async () => {
      const { store } = subject();
      const lock = name();
      assert.equal(await store.acquire(lock, holder('a'), 20, 'backup'), true);
      await sleep(60);
      assert.equal(await store.current(lock), null, 'expired');
      assert.equal(await store.acquire(lock, holder('b'), 60_000, 'restore'), true);
      assert.equal(await store.renew(lock, holder('a'), 60_000), false);
      assert.equal(await store.renew(lock, holder('b'), 120_000), true);
      assert.ok((await store.current(lock))!.expiresAt.getTime() > Date.now() + 90_000, 'renew extends the lease');
    });

    it('concurrent acquires: exactly one of 20 holders wins', async () => {
      const { store } = subject();
      const lock = name();
      const won = await Promise.all(Array.from({ length: 20 }, (_, i) => store.acquire(lock, holder(`h${i}`), 60_000, 'race')));
      assert.equal(won.filter(Boolean).length, 1);
    });
  });
}

export function attemptCounterStoreContract(label: string, setup: Setup<StoreSubject<AttemptCounterStore>>): void {
  const { describe, it } = mocha();
  describe(`AttemptCounterStore contract: ${label}`, () => {
    const subject = withSubject(setup);
    const counter = (windowStart = Date.now()) => ({ scope: 'login', subject: `ip-${randomUUID()}`, windowStart });

    it('counts up and down per scope, subject and window; absent is 0 and never below 0', async () => {
      const { store } = subject();
      const c = counter();
      assert.equal(await store.read(c), 0);
      assert.equal(await store.increment(c), 1);
      assert.equal(await store.increment(c), 2);
      assert.equal(await store.read({ ...c, scope: 'api_key' }), 0, 'another scope');
      assert.equal(await store.read({ ...c, windowStart: c.windowStart + 1 }), 0, 'another window');
      await store.decrement(c);
      assert.equal(await store.read(c), 1);
      await store.decrement(c);
      await store.decrement(c);
      assert.equal(await store.read(c), 0);
    });

    it('concurrent increments answer distinct values', async () => {
      const { store } = subject();
      const c = counter();
      const values = await Promise.all(Array.from({ length: 50 }, () => store.increment(c)));
      assert.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('purgeBefore removes older windows only and answers how many', async () => {
      const { store } = subject();
      const base = 1_000; // far below the windows of the other tests (now)
      const old1 = counter(10);
      const old2 = counter(500);
      const fresh = counter(base);
      for (const c of [old1, old2, fresh]) await store.increment(c);
      assert.equal(await store.purgeBefore(base), 2);
      assert.equal(await store.read(old1), 0);
      assert.equal(await store.read(old2), 0);
      assert.equal(await store.read(fresh), 1);
    });
  });
}

export function migrationRunStoreContract(label: string, setup: Setup<StoreSubject<MigrationRunStore>>): void {
  const { describe, it } = mocha();
  describe(`MigrationRunStore contract: ${label}`, () => {
    const subject = withSubject(setup);

    it('starts with its report, finishes once, lists newest first per kind', async () => {
      const { store } = subject();
      const kind = `kind-${randomUUID()}`;
      const first = await store.start(kind, null, { target: 'x' });
      assert.equal(first.status, 'running');
      assert.deepEqual(first.report, { target: 'x' });
      await sleep(5);
      const admin = randomUUID();
      const second = await store.start(kind, admin);
      await store.finish(first.id, 'completed', { moved: 3 });
      await store.finish(first.id, 'failed', { too: 'late' }); // already finished: kept
      const runs = await store.list(kind);
      assert.deepEqual(runs.map((r) => r.id), [second.id, first.id]);
      assert.equal(runs[1].status, 'completed');
      assert.deepEqual(runs[1].report, { moved: 3 });
      assert.ok(runs[1].completedAt instanceof Date);
      assert.equal(runs[0].adminUserId, admin);
      assert.deepEqual(await store.list(`other-${kind}`), []);
    });

    it('failRunning fails the running runs of one kind only and answers how many', async () => {
      const { store } = subject();
      const kind = `kind-${randomUUID()}`;
      const a = await store.start(kind, null);
      const b = await store.start(kind, null);
      const other = await store.start(`other-${kind}`, null);
      await store.finish(b.id, 'completed', {});
      assert.equal(await store.failRunning(kind, { reason: 'process died' }), 1);
      const run = (await store.list(kind)).find((r) => r.id === a.id);
      assert.equal(run?.status, 'failed');
      assert.deepEqual(run?.report, { reason: 'process died' });
      assert.equal((await store.list(`other-${kind}`)).find((r) => r.id === other.id)?.status, 'running');
    });
  });
}

export function restoreUploadStoreContract(label: string, setup: Setup<StoreSubject<RestoreUploadStore>>): void {
  const { describe, it } = mocha();
  describe(`RestoreUploadStore contract: ${label}`, () => {
    const subject = withSubject(setup);
    const create = (adminUserId: string, expiresAt = new Date(Date.now() + 3_600_000)) => {
      const id = randomUUID();
      return subject().store.create({ id, adminUserId, filename: 'backup.tar.gz', storageKey: restoreUploadKey(id), expiresAt });
    };

    it('creates a receiving row; updates change only the given fields, conditionally on the status', async () => {
      const { store } = subject();
      const upload = await create(randomUUID());
      assert.equal(upload.status, 'receiving');
      assert.equal(upload.fileSize, 0);
      assert.equal(upload.analysis, null);
      assert.equal(await store.update(upload.id, { status: 'uploaded', fileSize: 1234 }, ['receiving']), true);
      assert.equal(await store.update(upload.id, { status: 'analyzing' }, ['receiving']), false, 'no longer receiving');
      const got = await store.get(upload.id);
      assert.equal(got?.status, 'uploaded');
      assert.equal(got?.fileSize, 1234);
      assert.equal(got?.filename, 'backup.tar.gz');
      assert.equal(await store.update(randomUUID(), { progress: 5 }), false, 'a missing row');
    });

    it('lists an admin\'s finished uploads newest first, never receiving ones or another admin\'s', async () => {
      const { store } = subject();
      const admin = randomUUID();
      const older = await create(admin);
      await sleep(5);
      const newer = await create(admin);
      await create(admin); // still receiving
      await create(randomUUID());
      for (const u of [older, newer]) await store.update(u.id, { status: 'uploaded' });
      assert.deepEqual((await store.listByAdmin(admin)).map((u) => u.id), [newer.id, older.id]);
    });

    it('lists expired uploads and stale analyses; existing() and delete()', async () => {
      const { store } = subject();
      const expired = await create(randomUUID(), new Date(Date.now() - 1000));
      const live = await create(randomUUID());
      await store.update(live.id, { status: 'analyzing', heartbeatAt: new Date(Date.now() - 60_000) });
      const expiredIds = (await store.listExpired(new Date())).map((u) => u.id);
      assert.ok(expiredIds.includes(expired.id) && !expiredIds.includes(live.id));
      const stale = (await store.listStaleAnalyses(new Date(Date.now() - 30_000))).map((u) => u.id);
      assert.ok(stale.includes(live.id) && !stale.includes(expired.id));
      const missing = randomUUID();
      assert.deepEqual(await store.existing([expired.id, missing]), new Set([expired.id]));
      await store.delete(expired.id);
      assert.equal(await store.get(expired.id), null);
    });

    it('keeps an analysis as JSON data', async () => {
      const { store } = subject();
      const upload = await create(randomUUID());
      const analysis = { valid: true, tables: { users: 2 }, nested: [1, 'two', null] } as never;
      await store.update(upload.id, { status: 'analyzed', analysis, progress: 100 });
      const got = await store.get(upload.id);
      assert.deepEqual(got?.analysis, { valid: true, tables: { users: 2 }, nested: [1, 'two', null] });
      assert.equal(got?.progress, 100);
    });
  });
}

const OPTIONS: BackupOptions = { includeFiles: true, includeConfigs: false, userIds: [], tables: [] };

export function backupJobStoreContract(label: string, setup: Setup<StoreSubject<BackupJobStore>>): void {
  const { describe, it } = mocha();
  describe(`BackupJobStore contract: ${label}`, () => {
    const subject = withSubject(setup);
    const completion = (filename: string) => ({
      storageKey: `backups/${filename}`, filename, fileSize: 42, warnings: ['w'], expiresAt: null, verifiedAt: new Date(),
    });

    it('queues pending jobs and lists them newest first', async () => {
      const { store } = subject();
      const a = await store.create({ adminUserId: null, trigger: 'manual', options: OPTIONS });
      await sleep(5);
      const b = await store.create({ adminUserId: randomUUID(), trigger: 'cli', options: { ...OPTIONS, tables: ['users'] } });
      assert.equal(a.status, 'pending');
      assert.deepEqual(b.options, { ...OPTIONS, tables: ['users'] });
      const ids = (await store.list()).map((j) => j.id);
      assert.ok(ids.indexOf(b.id) < ids.indexOf(a.id), 'newest first');
      assert.deepEqual(await store.get(a.id), a);
      assert.equal(await store.get(randomUUID()), null);
    });

    it('claims: each pending job goes to exactly one worker, oldest first', async () => {
      const { store } = subject();
      while (await store.claimNext('drain')); // jobs of other tests
      const first = await store.create({ adminUserId: null, trigger: 'scheduled', options: OPTIONS });
      await sleep(5);
      const second = await store.create({ adminUserId: null, trigger: 'scheduled', options: OPTIONS });
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => store.claimNext(`w${i}`)));
      const won = claims.filter((j) => j !== null);
      assert.deepEqual(won.map((j) => j!.id).sort(), [first.id, second.id].sort());
      assert.ok(won.every((j) => j!.status === 'running' && j!.workerId !== null));
      assert.equal(await store.claim(first.id, 'late'), null, 'already taken');
    });

    it('progress, placement and completion only by the claiming worker; filenames are unique', async () => {
      const { store } = subject();
      const job = await store.create({ adminUserId: null, trigger: 'manual', options: OPTIONS });
      assert.ok(await store.claim(job.id, 'w'));
      const progress = { phase: 'documents' as const, progress: 40, bytesDone: 10, bytesTotal: 25 };
      assert.equal(await store.reportProgress(job.id, 'other', progress), false);
      assert.equal(await store.reportProgress(job.id, 'w', progress), true);
      assert.equal((await store.get(job.id))?.progress, 40);
      const filename = `aviary-${randomUUID()}.tar.gz`;
      assert.equal(await store.recordPlacement(job.id, 'w', `backups/${filename}`), true);
      assert.equal(await store.complete(job.id, 'other', completion(filename)), false);
      assert.equal(await store.complete(job.id, 'w', completion(filename)), true);
      const done = await store.get(job.id);
      assert.equal(done?.status, 'completed');
      assert.equal(done?.filename, filename);
      assert.equal(done?.fileSize, 42);
      assert.deepEqual(done?.warnings, ['w']);
      assert.ok(done?.verifiedAt instanceof Date);
      const rival = await store.create({ adminUserId: null, trigger: 'manual', options: OPTIONS });
      await store.claim(rival.id, 'w2');
      assert.equal(await store.complete(rival.id, 'w2', completion(filename)), false, 'the filename is taken');
    });

    it('fail, markArchiveMissing, listStale and delete', async () => {
      const { store } = subject();
      const job = await store.create({ adminUserId: null, trigger: 'manual', options: OPTIONS });
      await store.claim(job.id, 'w');
      await store.recordPlacement(job.id, 'w', 'backups/x.tar.gz');
      assert.ok((await store.listStale(new Date(Date.now() + 60_000))).some((j) => j.id === job.id));
      assert.ok(!(await store.listStale(new Date(Date.now() - 60_000))).some((j) => j.id === job.id));
      await store.fail(job.id, 'disk full', ['partial']);
      const failed = await store.get(job.id);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.errorMessage, 'disk full');
      assert.equal(failed?.storageKey, null);
      const done = await store.create({ adminUserId: null, trigger: 'manual', options: OPTIONS });
      await store.claim(done.id, 'w');
      await store.complete(done.id, 'w', completion(`aviary-${randomUUID()}.tar.gz`));
      await store.markArchiveMissing(done.id, 'archive gone');
      assert.equal((await store.get(done.id))?.status, 'failed');
      await store.delete(done.id);
      assert.equal(await store.get(done.id), null);
    });
  });
}

export interface HousekeepingSubject extends StoreSubject<HousekeepingStore> {
  /** The records of the same database, to put rows in place. */
  readonly records: RecordStore;
}

export function housekeepingStoreContract(label: string, setup: Setup<HousekeepingSubject>): void {
  const { describe, it } = mocha();
  describe(`HousekeepingStore contract: ${label}`, () => {
    const subject = withSubject(setup);
    const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

    it('removes expired sessions, expired reset tokens and old login attempts, answering counts', async () => {
      const { store, records } = subject();
      const user = randomUUID();
      const other = randomUUID();
      await records.writeTransaction(async (w) => {
        await w.insert('users', [
          { id: user, username: `u-${user}`, email: `${user}@example.org`, password: 'x', reset_token: 'old', reset_token_expires: iso(-60_000) },
          { id: other, username: `u-${other}`, email: `${other}@example.org`, password: 'x', reset_token: 'new', reset_token_expires: iso(3_600_000) },
        ]);
        await w.insert('user_sessions', [
          { id: randomUUID(), user_id: user, token_hash: `h-${randomUUID()}`, expires_at: iso(-60_000) },
          { id: randomUUID(), user_id: user, token_hash: `h-${randomUUID()}`, expires_at: iso(3_600_000) },
        ]);
        await w.insert('login_attempts', [
          { id: randomUUID(), ip_address: '203.0.113.9', attempted_at: iso(-7_200_000) },
          { id: randomUUID(), ip_address: '203.0.113.9', attempted_at: iso(0) },
        ]);
      });
      assert.equal(await store.deleteExpiredSessions(new Date()), 1);
      assert.equal(await store.clearExpiredResetTokens(new Date()), 1);
      assert.equal(await store.deleteLoginAttemptsBefore(new Date(Date.now() - 3_600_000)), 1);
      const rows = await records.readSnapshot(async (r) => ({
        sessions: await r.count('user_sessions', { column: 'user_id', in: [user] }),
        attempts: await r.count('login_attempts'),
      }));
      assert.deepEqual(rows, { sessions: 1, attempts: 1 });
      assert.equal(await store.deleteExpiredSessions(new Date()), 0, 'nothing left to remove');
    });
  });
}

/**
 * Every store suite above against one database backend: `setup` resolves a backend on an EMPTY database
 * (migrated here). Each suite gets its own backend, so give a fresh database each call.
 */
export function databaseStoresContract(label: string, setup: () => Promise<{ db: DatabaseBackend; cleanup?(): Promise<void> }>): void {
  const from = <S>(pick: (db: DatabaseBackend) => S) => async () => {
    const { db, cleanup } = await setup();
    await db.migrate();
    return {
      store: pick(db),
      records: db.records,
      cleanup: async () => {
        await db.close();
        await cleanup?.();
      },
    };
  };
  lockStoreContract(label, from((db) => db.locks));
  attemptCounterStoreContract(label, from((db) => db.attempts));
  migrationRunStoreContract(label, from((db) => db.migrationRuns));
  restoreUploadStoreContract(label, from((db) => db.uploads));
  backupJobStoreContract(label, from((db) => db.jobs));
  housekeepingStoreContract(label, from((db) => db.housekeeping));
}
