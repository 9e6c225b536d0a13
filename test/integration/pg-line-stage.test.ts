import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { FaultPoints } from '../../src/application/ports/fault-points.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { RecoverRestores } from '../../src/application/use-cases/recover-restores.use-case';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { bootService, BootedService } from '../../src/boot';
import { seedData } from '../../scripts/seed-data';
import { backendEnv, BackendSetup } from '../support/backends';
import { pgConnection } from '../support/postgres';
import { silentLogger } from '../support/service';
import { captureState, State } from '../support/state';
import { backupBytes } from '../support/backup-bytes';

type Deps = ConstructorParameters<typeof RestoreBackup>[0];

async function* once(data: Buffer) {
  yield data;
}

/** The staged tables (written as spooled), by their catalog identity. */
const STAGED = ['api_keys', 'user_sessions', 'documents', 'login_attempts'];

/**
 * PostgreSQL's restore stage: the large tables loaded and indexed into tables of their own while
 * the archive is read, then renamed into the real tables' places by the commit.
 */
describe('PostgreSQL restore stage (postgres + filesystem)', function () {
  let setup: BackendSetup;
  let service: BootedService;
  let dataDir: string;
  let db: DatabaseBackend;
  let blobs: BlobStore;
  let sql: Client;
  let archive: Buffer;
  let backedUp: State;

  const deps = () => (service.container.get(RestoreBackup) as unknown as { d: Deps }).d;
  const input = () => ({ open: async () => once(archive), sizeBytes: archive.length, overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false });
  const state = () => captureState(db.records, blobs);
  const oids = async () => {
    const { rows } = await sql.query(`select relname, oid::bigint as oid from pg_class where relname = any($1) and relkind = 'r' order by relname`, [STAGED]);
    return Object.fromEntries(rows.map((r) => [r.relname, String(r.oid)]));
  };
  /** Every index and constraint of the schema, by name and definition (not by identity). */
  const schemaShape = async () => {
    const indexes = await sql.query(`select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema() order by 1, 2`);
    const constraints = await sql.query(
      `select conrelid::regclass::text as t, conname, pg_get_constraintdef(oid) as def from pg_constraint where connamespace = current_schema()::regnamespace order by 1, 2`,
    );
    return { indexes: indexes.rows, constraints: constraints.rows };
  };
  const stageTables = async () => (await sql.query(`select relname from pg_class where relname like 'aviary\\_stage\\_%'`)).rows.map((r) => r.relname);

  before(async function () {
    setup = await backendEnv(this, 'postgres', 'filesystem');
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-pg-stage-'));
    service = await bootService({ env: { ...setup.env, DATA_DIR: dataDir }, background: false, logger: silentLogger });
    db = service.container.get<DatabaseBackend>(TOKENS.Database);
    blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
    await seedData({ records: db.records, blobs }, { users: 4, documents: 24, bytes: 200_000, seed: 'pg-stage' });
    archive = await backupBytes(service);
    backedUp = await state();
    sql = new Client({ ...pgConnection(), database: setup.env.DB_NAME });
    await sql.connect();
  });
  after(async () => {
    await sql?.end().catch(() => undefined);
    await service?.close();
    await setup?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Changes every staged table, so each restore has rows to bring back. */
  async function change(): Promise<State> {
    for (const table of ['login_attempts', 'user_sessions', 'api_keys']) await sql.query(`delete from ${table} where ctid in (select ctid from ${table} limit 2)`);
    await sql.query(`update documents set document_name = document_name || ' (changed)'`);
    return state();
  }

  it('puts the staged tables in place of the real ones: same rows, same indexes and constraints, nothing of the stage left', async () => {
    await change();
    const shape = await schemaShape();
    const before = await oids();
    const report = await service.container.get(RestoreBackup).execute(input());
    assert.deepEqual(await state(), backedUp);
    const after = await oids();
    for (const table of STAGED) assert.notEqual(after[table], before[table], `${table} was loaded by COPY, not swapped in from the stage`);
    assert.deepEqual(await schemaShape(), shape);
    assert.deepEqual(await stageTables(), []);
    assert.equal(report.rows.login_attempts, backedUp.tables.login_attempts.length);
    // The foreign keys came back and hold.
    await assert.rejects(sql.query(`insert into documents (id, user_id, document_name) values (gen_random_uuid(), gen_random_uuid(), 'x')`), /foreign key/);
  });

  it('loads a table something depends on (a view) the usual way, and the view stays', async () => {
    await sql.query(`create view recent_attempts as select username from login_attempts`);
    try {
      await change();
      const before = await oids();
      await service.container.get(RestoreBackup).execute(input());
      assert.deepEqual(await state(), backedUp);
      const after = await oids();
      assert.equal(after.login_attempts, before.login_attempts, 'login_attempts kept its identity');
      assert.notEqual(after.documents, before.documents, 'the other tables still went through the stage');
      const { rows } = await sql.query(`select count(*)::int as n from recent_attempts`);
      assert.equal(rows[0].n, backedUp.tables.login_attempts.length);
      assert.deepEqual(await stageTables(), []);
    } finally {
      await sql.query(`drop view if exists recent_attempts`);
    }
  });

  it('a restore rolled back after the swap leaves the real tables as they were, and drops the stage', async () => {
    const changed = await change();
    const shape = await schemaShape();
    const before = await oids();
    const faults: FaultPoints = {
      reach: async (point) => {
        if (point === 'restore.before-commit') throw new Error('injected failure before the commit');
      },
    };
    await assert.rejects(new RestoreBackup({ ...deps(), faults }).execute(input()), /injected failure|rolled back/);
    assert.deepEqual(await oids(), before);
    assert.deepEqual(await schemaShape(), shape);
    assert.deepEqual(await state(), changed);
    assert.deepEqual(await stageTables(), []);
  });

  it('an archive that fails its checks after the tables were staged leaves no stage table behind', async () => {
    const changed = await change();
    // The gzip trailer's CRC: every table has been read (and staged) when the check fails.
    const corrupt = Buffer.from(archive);
    corrupt[corrupt.length - 8] ^= 0xff;
    await assert.rejects(service.container.get(RestoreBackup).execute({ ...input(), open: async () => once(corrupt) }), /not valid|CRC/);
    assert.deepEqual(await state(), changed);
    assert.deepEqual(await stageTables(), []);
  });

  it('stage tables a crashed restore left are dropped by the recovery at start', async () => {
    await sql.query(`create table aviary_stage_0badc0de_login_attempts (like login_attempts including defaults)`);
    await sql.query(`insert into aviary_stage_0badc0de_login_attempts select * from login_attempts`);
    const result = await service.container.get(RecoverRestores).execute();
    assert.equal(result.busy, false);
    assert.deepEqual(await stageTables(), []);
  });
});
