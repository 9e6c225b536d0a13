import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { ConfigError } from '../../src/adapters/config/app-config';
import { AviaryBackup, createAviaryBackup } from '../../src/aviary-backup';
import { silentLogger } from '../support/service';

/** A host application's own environment must not configure (or stop) the embedded service by accident. */
describe('embedding: explicit environment and the mount path', () => {
  let dataDir: string;
  let service: AviaryBackup | undefined;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-embed-env-'));
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  const hostEnv = () => ({ LOG_LEVEL: 'verbose', PORT: '3000', DB_TYPE: 'mysql', STORAGE_BACKEND: 'gcs', AVIARY_BACKUP_DATA_DIR: dataDir, AVIARY_BACKUP_ALLOW_INSECURE: 'true' });

  it('process.env as the whole environment: the host\'s LOG_LEVEL=verbose stops the service (what envPrefix is for)', async () => {
    service = createAviaryBackup({ env: hostEnv(), logger: silentLogger });
    await assert.rejects(service.start(), (e: ConfigError) => /LOG_LEVEL/.test(e.message));
  });

  it('with envPrefix only AVIARY_BACKUP_* variables are read, without the prefix', async () => {
    service = createAviaryBackup({ env: hostEnv(), envPrefix: 'AVIARY_BACKUP_', logger: silentLogger });
    await service.start();
    assert.equal(service.config!.dataDir, dataDir);
    assert.equal(service.config!.logLevel, 'info');
    assert.equal(service.config!.database.kind, 'sqlite');
    assert.equal(service.config!.storage.kind, 'filesystem');
  });

  it('/api/openapi.json names the mount path as its server', async () => {
    service = createAviaryBackup({ env: { DATA_DIR: dataDir }, logger: silentLogger });
    await service.start();
    const host = express();
    host.use('/tools/aviary', service.router);
    const mounted = await request(host).get('/tools/aviary/api/openapi.json');
    assert.equal(mounted.status, 200);
    assert.deepEqual(mounted.body.servers, [{ url: '/tools/aviary' }]);
    const root = express();
    root.use(service.router);
    assert.deepEqual((await request(root).get('/api/openapi.json')).body.servers, [{ url: '/' }]);
  });
});
