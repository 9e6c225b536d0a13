import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from '@mikro-orm/knex';
import { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { MIGRATIONS_TABLE } from '../../src/adapters/database/migrations/migration-list';
import { FILESYSTEM_TEMP_DIR, FilesystemBlobStore } from '../../src/adapters/storage/filesystem.blob-store';
import { isDeadHolder, THIS_PROCESS } from '../../src/adapters/system/process-liveness';
import { BACKUP_RESTORE_LOCK, type LockHolder } from '../../src/application/ports/lock-store.port';
import { LeaseKeeper } from '../../src/application/use-cases/lease-keeper';
import { postgresPlugin } from '../../src/plugins/builtin/postgres.plugin';
import { sqlitePlugin } from '../../src/plugins/builtin/sqlite.plugin';
import { createFromRegistry } from '../contract/record-store.contract';
import { otherHolder } from '../fakes/in-memory.lock-store';
import { createTestDatabase, pgConnection, requirePostgres } from '../support/postgres';

/** A process on this host whose pid cannot be running (above the kernel's pid limit). */
const DEAD_HERE: LockHolder = { process: { host: THIS_PROCESS.host, pid: 4_194_304 + 7, nonce: 'gone' }, role: 'restore', runId: 'r1' };

interface Subject { db: MikroOrmDatabase; cleanup: () => Promise<void> }

const ENGINES: [string, () => Promise<Subject>][] = [
  ['sqlite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aviary-records-'));
    const db = await createFromRegistry(sqlitePlugin, 'sqlite', { DB_PATH: join(dir, 'aviary.db') }, dir);
    assert.ok(db instanceof MikroOrmDatabase);
    return { db, cleanup: async () => { await db.close(); await rm(dir, { recursive: true, force: true }); } };
  }],
  ['postgres', async () => {
    const database = await createTestDatabase();
    const { host, port, user, password } = pgConnection();
    const db = await createFromRegistry(postgresPlugin, 'postgres', {
      DB_HOST: host, DB_PORT: String(port), DB_USER: user, DB_PASSWORD: password, DB_NAME: database.name, DB_SSLMODE: 'disable',
    }, '/data');
    assert.ok(db instanceof MikroOrmDatabase);
    return { db, cleanup: async () => { await db.close(); await database.drop(); } };
  }],
];

for (const [engine, open] of ENGINES) {
  describe(`structured service records: ${engine}`, function () {
    let subject: Subject;
    let knex: Knex;
    before(async function () {
      if (engine === 'postgres') await requirePostgres(this);
      subject = await open();
      await subject.db.migrate();
      knex = subject.db.knex;
    });
    after(async () => subject?.cleanup());
    afterEach(async () => {
      await knex('aviary_service_locks').delete();
    });

    it('keeps a lock holder as a record: read back field for field, refused to anyone else', async () => {
      const locks = subject.db.locks;
      const mine: LockHolder = { process: THIS_PROCESS, role: 'restore', runId: randomUUID() };
      assert.equal(await locks.acquire(BACKUP_RESTORE_LOCK, mine, 60_000, 'restore'), true);
      assert.deepEqual((await locks.current(BACKUP_RESTORE_LOCK))?.holder, mine);
      assert.equal(await locks.acquire(BACKUP_RESTORE_LOCK, { ...mine, runId: randomUUID() }, 60_000, 'restore'), false, 'another run of the same process');
      assert.equal(await locks.acquire(BACKUP_RESTORE_LOCK, otherHolder('backup'), 60_000, 'backup'), false);
      assert.equal(await locks.renew(BACKUP_RESTORE_LOCK, mine, 60_000), true);
      await locks.release(BACKUP_RESTORE_LOCK, otherHolder('restore'));
      assert.ok(await locks.current(BACKUP_RESTORE_LOCK), 'a release by another holder changes nothing');
      await locks.release(BACKUP_RESTORE_LOCK, mine);
      assert.equal(await locks.current(BACKUP_RESTORE_LOCK), null);
    });

    it('takes over the lease of a dead holder on this host at once, never one an older version wrote', async () => {
      const locks = subject.db.locks;
      assert.ok(await locks.acquire(BACKUP_RESTORE_LOCK, DEAD_HERE, 60_000, 'restore'));
      const next = new LeaseKeeper(locks, BACKUP_RESTORE_LOCK, { process: THIS_PROCESS, role: 'backup' }, { ttlMs: 60_000, isDeadHolder });
      assert.equal(await next.acquire('backup'), true);
      await next.release();

      // An older version writes only the text column; an update by it leaves stale fields behind.
      const now = Date.now();
      await knex('aviary_service_locks').insert({ name: BACKUP_RESTORE_LOCK, holder: 'old-host:1:abcd:restore:x', purpose: 'restore x', acquired_at: now, expires_at: now + 60_000 });
      assert.equal((await locks.current(BACKUP_RESTORE_LOCK))?.holder, undefined);
      await locks.release(BACKUP_RESTORE_LOCK, DEAD_HERE);
      await knex('aviary_service_locks').update({
        holder_host: DEAD_HERE.process.host, holder_pid: DEAD_HERE.process.pid, holder_nonce: DEAD_HERE.process.nonce, holder_role: 'restore',
      });
      const info = await locks.current(BACKUP_RESTORE_LOCK);
      assert.equal(info?.purpose, 'restore x');
      assert.equal(info?.holder, undefined, 'fields that disagree with the holder text are not believed');
      const keeper = new LeaseKeeper(locks, BACKUP_RESTORE_LOCK, { process: THIS_PROCESS, role: 'backup' }, { ttlMs: 60_000, isDeadHolder: () => true });
      assert.equal(await keeper.acquire('backup'), false, 'the older version keeps its lease until it expires');
    });

    it('honours and clears a restore commit marker an older version wrote among the migration runs', async () => {
      const records = subject.db.records;
      const fresh = randomUUID();
      await records.writeTransaction(async () => undefined, { commitMarker: fresh });
      assert.equal((await knex('aviary_restore_commits').where({ marker_id: fresh })).length, 1);
      assert.equal(await records.hasCommitMarker(fresh), true);

      const legacy = randomUUID();
      const now = Date.now();
      await knex('aviary_migration_runs').insert({ id: legacy, kind: 'commit-marker', status: 'committed', report: '{}', started_at: now, completed_at: now });
      assert.equal(await records.hasCommitMarker(legacy), true);
      assert.equal(await records.hasCommitMarker(randomUUID()), false);
      await records.clearCommitMarker(legacy);
      await records.clearCommitMarker(fresh);
      assert.equal(await records.hasCommitMarker(legacy), false);
      assert.equal(await records.hasCommitMarker(fresh), false);
    });

    it('migration 0007 moves the markers of an older version into their own table', async () => {
      // Back to the state before 0007: its table and columns gone, its name unrecorded.
      await knex.schema.dropTable('aviary_restore_commits');
      await knex.schema.alterTable('aviary_service_locks', (t) => {
        t.dropColumns('holder_host', 'holder_pid', 'holder_nonce', 'holder_role', 'holder_run_id');
      });
      await knex(MIGRATIONS_TABLE).where({ name: '0007-structured-locks-and-restore-commits' }).delete();
      const marker = randomUUID();
      const run = randomUUID();
      await knex('aviary_migration_runs').insert([
        { id: marker, kind: 'commit-marker', status: 'committed', report: '{}', started_at: 1000, completed_at: 2000 },
        { id: run, kind: 'single-to-multi', status: 'completed', report: '{}', started_at: 1000, completed_at: 3000 },
      ]);
      const { applied } = await subject.db.migrate();
      assert.deepEqual(applied, ['0007-structured-locks-and-restore-commits']);
      assert.deepEqual((await knex('aviary_restore_commits').select('marker_id', 'committed_at')).map((r) => [r.marker_id, Number(r.committed_at)]), [[marker, 2000]]);
      assert.deepEqual((await knex('aviary_migration_runs').select('id')).map((r) => r.id), [run], 'other runs stay');
      assert.equal(await subject.db.records.hasCommitMarker(marker), true);
    });
  });
}

describe('filesystem temp files carry their owner as a record', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'aviary-owner-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('removes what a dead writer left, keeps what a live one is writing, and leaves nothing after a put', async () => {
    const store = new FilesystemBlobStore({ root });
    await store.put('a.txt', (async function* () { yield Buffer.from('a'); })());
    const temp = join(root, FILESYSTEM_TEMP_DIR);
    assert.deepEqual(await readdir(temp), [], 'no part and no owner record after a put');

    await writeFile(join(temp, 'dead.part'), 'half');
    await writeFile(join(temp, 'dead.owner.json'), JSON.stringify(DEAD_HERE.process));
    await writeFile(join(temp, 'live.part'), 'half');
    await writeFile(join(temp, 'live.owner.json'), JSON.stringify(THIS_PROCESS));
    await writeFile(join(temp, 'remote.part'), 'half');
    await writeFile(join(temp, 'remote.owner.json'), JSON.stringify({ host: 'another-host', pid: 1, nonce: 'x' }));
    // Written by an older version (owner in the file name): removed only once a day old.
    await writeFile(join(temp, 'old-host_12_ab_cd.part'), 'half');
    await writeFile(join(temp, 'older-host_12_ab_cd.part'), 'half');
    const dayAgo = new Date(Date.now() - 25 * 3600_000);
    await utimes(join(temp, 'older-host_12_ab_cd.part'), dayAgo, dayAgo);

    assert.equal(await store.sweepAbandonedTemp(), 2);
    assert.deepEqual((await readdir(temp)).sort(), ['live.owner.json', 'live.part', 'old-host_12_ab_cd.part', 'remote.owner.json', 'remote.part']);
  });

  it('overlapping puts share one owner record, on disk before their parts and gone after the last', async () => {
    const store = new FilesystemBlobStore({ root });
    const temp = join(root, FILESYSTEM_TEMP_DIR);
    const gates: (() => void)[] = [];
    const body = (text: string) => (async function* () {
      yield Buffer.from(text);
      await new Promise<void>((resolve) => gates.push(resolve));
      yield Buffer.from('!');
    })();
    const puts = ['a', 'b', 'c'].map((k) => store.put(`${k}.txt`, body(k)));
    while (gates.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const during = (await readdir(temp)).sort();
    const records = during.filter((n) => n.endsWith('.owner.json'));
    assert.equal(records.length, 1, during.join(', '));
    assert.deepEqual(JSON.parse(await readFile(join(temp, records[0]), 'utf8')), THIS_PROCESS);
    const writer = records[0].slice(0, -'.owner.json'.length);
    assert.equal(during.filter((n) => n.startsWith(`${writer}.`) && n.endsWith('.part')).length, 3, during.join(', '));
    for (const open of gates.splice(0)) open();
    await Promise.all(puts);
    assert.deepEqual(await readdir(temp), [], 'no part and no owner record once the puts are done');
    assert.equal(await readFile(join(root, 'b.txt'), 'utf8'), 'b!');
  });

  it('removes every part of a dead writer with its record; a part whose record is missing counts as an old one', async () => {
    const temp = join(root, FILESYSTEM_TEMP_DIR);
    await mkdir(temp, { recursive: true });
    for (const n of [1, 2, 3]) await writeFile(join(temp, `w.${n}.part`), 'half');
    await writeFile(join(temp, 'w.owner.json'), JSON.stringify(DEAD_HERE.process));
    await writeFile(join(temp, 'v.1.part'), 'half');
    await writeFile(join(temp, 'v.owner.json'), JSON.stringify(THIS_PROCESS));
    await writeFile(join(temp, 'x.1.part'), 'half'); // no record: judged by age only
    assert.equal(await new FilesystemBlobStore({ root }).sweepAbandonedTemp(), 3);
    assert.deepEqual((await readdir(temp)).sort(), ['v.1.part', 'v.owner.json', 'x.1.part']);
  });

  it('writes its record again when the temp folder was removed while it wrote', async () => {
    const store = new FilesystemBlobStore({ root });
    const temp = join(root, FILESYSTEM_TEMP_DIR);
    let release!: () => void;
    const first = store.put('a.txt', (async function* () {
      yield Buffer.from('a');
      await new Promise<void>((resolve) => (release = resolve));
    })());
    const hasPart = async () => (await readdir(temp).catch(() => [] as string[])).some((n) => n.endsWith('.part'));
    while (!release || !(await hasPart())) await new Promise((resolve) => setTimeout(resolve, 5));
    await rm(temp, { recursive: true, force: true }); // by hand: the first part and the record are gone
    let seen: string[] = [];
    const second = store.put('b.txt', (async function* () {
      yield Buffer.from('b');
      // The body is read while the part is being opened: wait for the part.
      while (!seen.some((n) => n.endsWith('.part'))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen = (await readdir(temp).catch(() => [] as string[])).sort();
      }
    })());
    await second;
    assert.equal(seen.filter((n) => n.endsWith('.owner.json')).length, 1, seen.join(', '));
    release();
    await assert.rejects(first); // its part went with the folder
    assert.deepEqual(await readdir(temp), []);
  });

  it('an owner record that is not one (being written, or damaged) is never judged', async () => {
    const temp = join(root, FILESYSTEM_TEMP_DIR);
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, 'x.part'), 'half');
    await writeFile(join(temp, 'x.owner.json'), '{"host":');
    assert.equal(await new FilesystemBlobStore({ root }).sweepAbandonedTemp(), 0);
    assert.deepEqual((await readdir(temp)).sort(), ['x.owner.json', 'x.part']);
  });
});
