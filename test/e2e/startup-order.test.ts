import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAviaryBackup } from '../../src/aviary-backup';
import { sharedS3Server } from '../support/s3-server';

const root = join(__dirname, '..', '..');

function recordingLogger() {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Nothing durable happens (schema, first admin, password) until every backend and the port were checked. */
describe('start-up checks come before side effects', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-startup-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('a missing S3 bucket fails the start before migrations, the first admin and its password', async () => {
    const s3 = await sharedS3Server();
    const { lines, logger } = recordingLogger();
    const service = createAviaryBackup({
      env: {
        DATA_DIR: dataDir, STORAGE_BACKEND: 's3', S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_BUCKET: 'no-such-bucket-here',
        S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: 'true',
      },
      logger,
    });
    await assert.rejects(service.start(), /bucket "no-such-bucket-here" does not exist/);
    await service.close();
    assert.deepEqual(lines.filter((l) => /migrated|First admin|ready/.test(l)), []);
    const files = await readdir(dataDir);
    assert.ok(!files.includes('initial-admin-password'), `files: ${files}`);
    assert.ok(!files.includes('aviary.db'), `the database was not even created: ${files}`);
  });

  it('logs a warning naming variables of backends that are not selected', async () => {
    const { lines, logger } = recordingLogger();
    const service = createAviaryBackup({ env: { DATA_DIR: dataDir, S3_BUCKET: 'aviary', S3_ENDPOINT: 'http://127.0.0.1:9000' }, logger });
    await service.start();
    await service.close();
    assert.equal(service.config?.storage.kind ?? 'filesystem', 'filesystem');
    assert.ok(lines.some((l) => /^warn S3_BUCKET, S3_ENDPOINT are set but STORAGE_BACKEND is "filesystem"/.test(l)), lines.join('\n'));
  });

  it('a busy port fails the standalone server before "ready", the first admin and its password', async () => {
    const blocker: Server = createServer();
    blocker.listen(0, '0.0.0.0');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/server.ts'], {
        cwd: root,
        env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const [code] = await once(child, 'exit');
      assert.equal(code, 1, output);
      assert.match(output, new RegExp(`port ${port}`));
      assert.doesNotMatch(output, /\bready\b|First admin|migrated/);
      const files = await readdir(dataDir);
      assert.ok(!files.includes('initial-admin-password'), `files: ${files}`);
    } finally {
      blocker.close();
    }
  });
});
