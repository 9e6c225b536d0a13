import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from '@mikro-orm/knex';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { bootService } from '../../src/boot';
import type { Env } from '../../src/plugins/plugin-api';
import { s3Plugin } from '../../src/plugins/builtin/s3.plugin';
import { PluginRegistry } from '../../src/plugins/registry';
import { sharedS3Server, startS3Server, type S3TestServer } from '../support/s3-server';
import {
  expectedHashes, OLD_API_KEY, PAIRING_FILE_TEXT, type RunningService, singleUserLayout, startService, storeHashes,
  writeDocumentsToStore, writePairingFile,
} from '../support/single-user-layout';

const logger = { debug() {}, info() {}, warn() {}, error() {} };

function s3Env(server: S3TestServer, bucket: string): Env {
  return {
    STORAGE_BACKEND: 's3', S3_ENDPOINT: server.endpoint, S3_REGION: server.region, S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: server.accessKeyId, S3_SECRET_ACCESS_KEY: server.secretAccessKey, S3_FORCE_PATH_STYLE: 'true',
  };
}

async function bucketStore(env: Env): Promise<BlobStore> {
  const resolved = new PluginRegistry().use(s3Plugin).resolveStorage('s3', env, '/unused');
  if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
  return resolved.backend.definition.create(resolved.backend.options, { dataDir: '/unused', logger });
}

/** A single-user install on S3: documents under `pdfs/` of the bucket, the pairing file on local disk. */
async function install(server: S3TestServer) {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-s2m-s3-'));
  const bucket = await server.createBucket();
  const docs = singleUserLayout();
  const pairingPath = join(dir, 'root', '.config', 'rmapi', 'rmapi.conf');
  await writePairingFile(pairingPath);
  const env: Env = {
    ...s3Env(server, bucket), DATA_DIR: join(dir, 'data'), RMAPI_CONFIG_PATH: pairingPath, API_KEY: OLD_API_KEY,
    MULTI_USER: 'true', AUTH_USERNAME: 'operator', AUTH_PASSWORD: 'correct horse battery',
  };
  const store = await bucketStore(env);
  await writeDocumentsToStore(store, 'pdfs/', docs);
  return { dir, docs, env, store, cleanup: async () => { await store.close?.(); await rm(dir, { recursive: true, force: true }); } };
}

const knexOf = (c: { get<T>(id: symbol): T }) => (c.get<DatabaseBackend>(TOKENS.Database) as unknown as { knex: Knex }).knex;

describe('single-user → multi-user migration on S3 storage (s3rver, SQLite)', () => {
  let setup: Awaited<ReturnType<typeof install>>;
  let s: RunningService | undefined;
  before(async () => {
    setup = await install(await sharedS3Server());
  });
  after(async () => {
    await s?.stop();
    await setup.cleanup();
  });

  it('the first start moves every object under pdfs/ into users/{admin}/pdfs/, with the pairing file and API_KEY', async () => {
    s = await startService(setup.env);
    const admin = await knexOf(s.service.container!)('users').where({ username: 'operator' }).first('id', 'rmapi_config');
    assert.deepEqual(await storeHashes(setup.store, `users/${admin.id}/pdfs/`), expectedHashes(setup.docs));
    assert.deepEqual(await storeHashes(setup.store, 'pdfs/'), new Map());
    assert.equal(admin.rmapi_config, PAIRING_FILE_TEXT);
    const [key] = await knexOf(s.service.container!)('api_keys').select('key_prefix');
    assert.ok(!key.key_prefix.includes(OLD_API_KEY.slice(0, 4)) && !key.key_prefix.includes(OLD_API_KEY.slice(-4)));
    assert.equal((await request(s.app).get('/api/admin/status').set('X-API-Key', OLD_API_KEY)).status, 200);
  });

  it('a second start changes nothing in the bucket or the database', async () => {
    const k = () => knexOf(s!.service.container!);
    const before = { objects: await storeHashes(setup.store, ''), keys: await k()('api_keys').select(), runs: await k()('aviary_migration_runs').select('id') };
    await s!.stop();
    s = await startService(setup.env);
    assert.deepEqual({ objects: await storeHashes(setup.store, ''), keys: await k()('api_keys').select(), runs: await k()('aviary_migration_runs').select('id') }, before);
  });
});

describe('single-user → multi-user migration when S3 goes down half-way (own s3rver)', () => {
  let server: S3TestServer;
  let setup: Awaited<ReturnType<typeof install>>;
  let s: RunningService | undefined;
  before(async () => {
    server = await startS3Server();
    setup = await install(server);
  });
  after(async () => {
    await s?.stop();
    await setup.cleanup();
    await server.dispose();
  });

  it('the failed run is recorded, nothing is lost, and the next start finishes the move', async () => {
    let copies = 0;
    const outageAfter = 3;
    const outage = {
      ...logger,
      debug(message: string) {
        if (message === 'single-user document copied and verified' && ++copies === outageAfter) void server.stop();
      },
    };
    try {
      const first = await bootService({ env: setup.env, logger: outage, background: false });
      await first.close();
    } catch (error) {
      // Later startup steps that need storage may fail this start during the outage: that is fine here.
      assert.equal((error as { code?: string }).code, 'storage_unavailable', String(error));
    }
    assert.ok(copies >= outageAfter, 'the outage began during the migration');

    await server.restart();
    const original = expectedHashes(setup.docs);
    const midway = await storeHashes(setup.store, 'pdfs/');
    assert.ok(midway.size > 0 && midway.size < original.size, `some documents were left at the source (${midway.size})`);
    for (const [path, hash] of midway) assert.equal(hash, original.get(path), `${path} is intact at the source`);

    s = await startService(setup.env);
    const k = knexOf(s.service.container!);
    const admin = await k('users').where({ username: 'operator' }).first('id');
    const all = await storeHashes(setup.store, '');
    assert.deepEqual(new Map([...all].filter(([key]) => !key.startsWith('backups/'))),
      new Map([...original].map(([p, h]) => [`users/${admin.id}/pdfs/${p}`, h])), 'every document exactly once, at the target');
    const runs = (await request(s.app).get('/api/admin/migrations/single-to-multi/runs').set('X-API-Key', OLD_API_KEY)).body.runs;
    assert.deepEqual(runs.map((r: { status: string }) => r.status), ['completed', 'failed']);
    assert.equal(runs[1].report.error, 'storage_unavailable');
    assert.equal(runs[0].report.moved.length + runs[1].report.moved.length, original.size);
  });
});
