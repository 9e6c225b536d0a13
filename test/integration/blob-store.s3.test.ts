import assert from 'node:assert/strict';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import { UnavailableError } from '../../src/domain/errors';
import type { Env } from '../../src/plugins/plugin-api';
import { s3Plugin } from '../../src/plugins/builtin/s3.plugin';
import { PluginRegistry } from '../../src/plugins/registry';
import { blobStoreContract } from '../contract/blob-store.contract';
import { sharedS3Server, startS3Server, type S3TestServer } from '../support/s3-server';

const logger = { info() {}, warn() {}, error() {}, debug() {} };
const dataDir = '/nonexistent-data-dir'; // the s3 backend never touches DATA_DIR

/** The env an operator sets for an S3-compatible server like MinIO. */
function operatorEnv(server: S3TestServer, bucket: string, extra: Env = {}): Env {
  return {
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: server.endpoint,
    S3_REGION: server.region,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: server.accessKeyId,
    S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    ...extra,
  };
}

/** Registry → resolveStorage(STORAGE_BACKEND, env) → create, as the service does at start. */
async function s3Store(env: Env): Promise<BlobStore> {
  const resolved = new PluginRegistry().use(s3Plugin).resolveStorage(env.STORAGE_BACKEND!, env, dataDir);
  if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
  return resolved.backend.definition.create(resolved.backend.options, { dataDir, logger });
}

describe('S3 storage (minio client against s3rver)', () => {
  blobStoreContract('s3 (s3rver)', async () => {
    const server = await sharedS3Server();
    const store = await s3Store(operatorEnv(server, await server.createBucket()));
    return { store, cleanup: async () => undefined };
  });

  describe('configuration', () => {
    it('reports the missing S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together', () => {
      const resolved = new PluginRegistry().use(s3Plugin).resolveStorage('s3', {}, dataDir);
      assert.equal(resolved.ok, false);
      const problems = !resolved.ok ? resolved.problems.join('\n') : '';
      for (const variable of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) assert.match(problems, new RegExp(`${variable}: `));
      assert.doesNotMatch(problems, /S3_REGION|S3_FORCE_PATH_STYLE|S3_ENDPOINT/, 'those have defaults');
    });

    it('names the variable of a bad value and accepts Aviary-style flags', () => {
      const registry = new PluginRegistry().use(s3Plugin);
      const base = { S3_BUCKET: 'b-1', S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'secret' };
      const bad = registry.resolveStorage('s3', { ...base, S3_FORCE_PATH_STYLE: 'perhaps', S3_ENDPOINT: 'localhost:9000', S3_PART_SIZE_MB: '2', S3_BUCKET: 'Bad_Bucket' }, dataDir);
      const problems = !bad.ok ? bad.problems.join('\n') : '';
      for (const variable of ['S3_FORCE_PATH_STYLE', 'S3_ENDPOINT', 'S3_PART_SIZE_MB', 'S3_BUCKET']) assert.match(problems, new RegExp(`${variable}: `));
      for (const [value, expected] of [['yes', true], ['1', true], ['TRUE', true], ['no', false], ['', false]] as const) {
        const ok = registry.resolveStorage('s3', { ...base, S3_FORCE_PATH_STYLE: value }, dataDir);
        assert.ok(ok.ok);
        assert.equal((ok.backend.options as { forcePathStyle: boolean }).forcePathStyle, expected, value);
        assert.equal((ok.backend.options as { region: string }).region, 'us-east-1');
      }
    });

    it('a missing bucket: ping fails with UnavailableError telling the operator to create it, without secrets', async () => {
      const server = await sharedS3Server();
      const store = await s3Store(operatorEnv(server, 'no-such-bucket-here', { S3_SECRET_ACCESS_KEY: 'very-secret-value' }));
      await assert.rejects(store.ping(), (e: Error) =>
        e instanceof UnavailableError && /no-such-bucket-here/.test(e.message) && /create it/.test(e.message) && !/very-secret-value/.test(e.message));
      await assert.rejects(store.get('some/key'), UnavailableError);
      await store.close?.();
    });
  });

  describe('when the S3 server stops and comes back', () => {
    let server: S3TestServer;
    let store: BlobStore;

    before(async () => {
      server = await startS3Server(); // its own server: stopping it disturbs no other suite
      store = await s3Store(operatorEnv(server, await server.createBucket(), { S3_SECRET_ACCESS_KEY: 'very-secret-value' }));
    });
    after(async () => {
      await store.close?.();
      await server.dispose();
    });

    it('ping rejects with UnavailableError naming the endpoint; after restart() it works and the data is still there', async () => {
      async function* body() { yield Buffer.from('survives restarts'); }
      await store.ping();
      await store.put('users/u/pdfs/a.pdf', body());
      await server.stop();
      const t0 = Date.now();
      await assert.rejects(store.ping(), (e: Error) =>
        e instanceof UnavailableError && e.message.includes(server.endpoint) && /S3_ENDPOINT/.test(e.message) && !/very-secret-value/.test(e.message));
      assert.ok(Date.now() - t0 < 5_000, 'fails fast on a refused connection');
      await assert.rejects(store.stat('users/u/pdfs/a.pdf'), UnavailableError);
      await server.restart();
      await store.ping();
      const chunks: Uint8Array[] = [];
      for await (const chunk of await store.get('users/u/pdfs/a.pdf')) chunks.push(chunk);
      assert.equal(Buffer.concat(chunks).toString(), 'survives restarts');
    });
  });
});
