import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { MikroOrmDatabase } from '../../src/adapters/database/mikro-orm.database';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConflictError, DomainError, UnavailableError } from '../../src/domain/errors';
import { postgresPlugin } from '../../src/plugins/builtin/postgres.plugin';
import { PluginRegistry } from '../../src/plugins/registry';
import { createFromRegistry, recordStoreContract } from '../contract/record-store.contract';
import { createTestDatabase, pgConnection, requirePostgres } from '../support/postgres';

/** DB_* variables as an operator would set them for the local test server. */
function envFor(dbName: string): Record<string, string> {
  const { host, port, user, password } = pgConnection();
  return { DB_HOST: host, DB_PORT: String(port), DB_USER: user, DB_PASSWORD: password, DB_NAME: dbName, DB_SSLMODE: 'disable' };
}

/** A TCP port nobody listens on: bind an ephemeral port, then free it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('postgres', function () {
  before(async function () {
    await requirePostgres(this);
  });

  recordStoreContract('postgres', async () => {
    const database = await createTestDatabase();
    const db = await createFromRegistry(postgresPlugin, 'postgres', envFor(database.name), '/data');
    assert.ok(db instanceof MikroOrmDatabase);
    return {
      db,
      timeFractionDigits: 6, // timestamptz keeps microseconds; the adapter truncates the rest
      streamBatches: () => db.stats.streamBatches,
      cleanup: async () => {
        await db.close();
        await database.drop();
      },
    };
  });

  describe('postgres plugin', () => {
    const registry = new PluginRegistry().use(postgresPlugin);

    it('takes README, Configuration defaults from an empty environment', () => {
      const resolved = registry.resolveDatabase('postgres', {}, '/data');
      assert.ok(resolved.ok);
      assert.deepEqual(resolved.backend.options, {
        host: 'localhost', port: 5432, user: 'aviary', password: '', dbName: 'aviary', sslmode: 'disable',
      });
    });

    for (const bad of ['abc', '0', '70000', '54.3']) {
      it(`reports DB_PORT=${bad} as a problem naming DB_PORT`, () => {
        const resolved = registry.resolveDatabase('postgres', { DB_PORT: bad }, '/data');
        assert.ok(!resolved.ok, 'accepted a bad port');
        assert.ok(resolved.problems.some((p) => p.startsWith('DB_PORT')), resolved.problems.join('; '));
      });
    }

    it('reports an unknown DB_SSLMODE naming DB_SSLMODE', () => {
      const resolved = registry.resolveDatabase('postgres', { DB_SSLMODE: 'sometimes' }, '/data');
      assert.ok(!resolved.ok && resolved.problems.some((p) => p.startsWith('DB_SSLMODE')));
    });

    it('ping() on a port nobody listens on rejects with UnavailableError naming host and port', async () => {
      const port = await closedPort();
      const db = await createFromRegistry(postgresPlugin, 'postgres', { ...envFor('aviary'), DB_HOST: '127.0.0.1', DB_PORT: String(port) }, '/data');
      try {
        const error = await db.ping().then(() => assert.fail('ping succeeded'), (e: unknown) => e);
        assert.ok(error instanceof UnavailableError, String(error));
        assert.equal(error.code, 'database_unavailable');
        assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
        assert.match(error.message, /DB_HOST/);
      } finally {
        await db.close();
      }
    });

    it('migrates a database where Aviary already created some tables, keeping their rows', async () => {
      const database = await createTestDatabase();
      const db = await createFromRegistry(postgresPlugin, 'postgres', envFor(database.name), '/data');
      try {
        assert.ok(db instanceof MikroOrmDatabase);
        // Shaped like GORM's AutoMigrate output for two of the tables.
        await db.knex.raw(`create table system_settings (key text primary key, value text, description text,
          updated_at timestamptz default current_timestamp, updated_by uuid)`);
        await db.knex.raw(`insert into system_settings (key, value, description) values ('smtp_port', '465', 'kept')`);
        await db.knex.raw(`create table login_attempts (id uuid primary key, ip_address varchar(45) not null,
          username text, success boolean default false, attempted_at timestamptz default current_timestamp, user_agent text)`);
        await db.knex.raw('create index idx_login_attempts_ip_address on login_attempts (ip_address)');
        const { applied } = await db.migrate();
        assert.ok(applied.length >= 1);
        assert.equal(await db.accounts.getSetting('smtp_port'), '465');
        assert.equal(await db.accounts.getSetting('smtp_tls'), 'true');
        assert.equal(await db.accounts.countUsers(), 0);
      } finally {
        await db.close();
        await database.drop();
      }
    });
  });

  describe('COPY into PostgreSQL', () => {
    let database: { name: string; drop: () => Promise<void> };
    let db: MikroOrmDatabase;
    let sql: Client;
    before(async () => {
      database = await createTestDatabase();
      db = (await createFromRegistry(postgresPlugin, 'postgres', envFor(database.name), '/data')) as MikroOrmDatabase;
      await db.migrate();
      sql = new Client({ ...pgConnection(), database: database.name });
      await sql.connect();
    });
    after(async () => {
      await sql?.end();
      await db?.close();
      await database?.drop();
    });

    const attempts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: randomUUID(), ip_address: `192.0.2.${i % 250}`, username: `u${i}` }));
    /** Every index, constraint and its definition on the restored tables: a load must give them back as they were. */
    const schemaFacts = async () => (await sql.query(`
      select 'index' as kind, indexname as name, indexdef as def from pg_indexes where schemaname = 'public'
      union all select 'constraint', conname, pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace
      order by 1, 2`)).rows;

    it('refuses U+0000 in text as invalid_value, naming table and column without quoting the value, and writes nothing', async () => {
      const rows = attempts(3);
      rows[2] = { ...rows[2], username: 'before\u0000after' };
      const error = await db.records.writeTransaction((w) => w.insert('login_attempts', rows)).then(
        () => assert.fail('a NUL character was stored'), (e: unknown) => e);
      assert.ok(error instanceof DomainError, String(error));
      assert.equal(error.code, 'invalid_value');
      assert.match(error.message, /login_attempts/);
      assert.match(error.message, /username/);
      assert.equal(error.message.includes('before'), false, 'the value is not quoted');
      assert.equal(Number((await sql.query('select count(*) as n from login_attempts')).rows[0].n), 0);
    });

    it('a load into emptied tables gives back every index, key and foreign key as it was, and they hold', async () => {
      const before = await schemaFacts();
      const users = [{ id: randomUUID(), username: 'copy-a', email: 'copy-a@example.org', password: 'x' }];
      const docs = Array.from({ length: 50 }, (_, i) => ({ id: randomUUID(), user_id: users[0].id, document_name: `d${i}` }));
      await db.records.writeTransaction(async (w) => {
        for (const table of ['documents', 'login_attempts'] as const) await w.delete(table);
        await w.insert('users', users);
        await w.insert('documents', docs);
        await w.insert('login_attempts', attempts(500));
      });
      assert.deepEqual(await schemaFacts(), before);
      await assert.rejects(sql.query(`insert into documents (id, user_id, document_name) values ($1, $2, 'x')`, [randomUUID(), randomUUID()]), /foreign key/);
      const taken = (await sql.query('select id from login_attempts limit 1')).rows[0].id;
      await assert.rejects(sql.query(`insert into login_attempts (id, ip_address) values ($1, 'x')`, [taken]), /duplicate key/);
    });

    it('a load that fails leaves indexes and constraints as they were (the drops roll back with it)', async () => {
      const before = await schemaFacts();
      const rows = attempts(300);
      rows[299] = { ...rows[299], id: rows[0].id };
      await assert.rejects(db.records.writeTransaction(async (w) => {
        await w.delete('login_attempts');
        await w.insert('login_attempts', rows);
      }), ConflictError);
      assert.deepEqual(await schemaFacts(), before);
      assert.equal(Number((await sql.query('select count(*) as n from login_attempts')).rows[0].n), 500);
    });
  });
});
