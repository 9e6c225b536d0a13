import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { AviaryBackup, AviaryBackupOptions, createAviaryBackup } from '../../src/aviary-backup';
import type { Env } from '../../src/plugins/plugin-api';

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface TestService {
  service: AviaryBackup;
  app: express.Express;
  dataDir: string;
  stop(): Promise<void>;
}

/** A started service on its own DATA_DIR (SQLite + filesystem unless env says otherwise). */
export async function startTestService(env: Env = {}, options: Partial<AviaryBackupOptions> = {}): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aviary-test-'));
  const service = createAviaryBackup({
    env: { DATA_DIR: dataDir, ALLOW_INSECURE: 'true', ...env },
    logger: silentLogger,
    ...options,
  });
  await service.start();
  const app = express();
  app.use(service.router);
  return {
    service,
    app,
    dataDir,
    async stop() {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
