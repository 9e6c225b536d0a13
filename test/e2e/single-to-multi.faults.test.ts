import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { FaultPointName } from '../../src/application/ports/fault-points.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { MigrateSingleToMulti, SINGLE_TO_MULTI_KIND } from '../../src/application/use-cases/migrate-single-to-multi.use-case';
import { InjectedFaultPoints } from '../../src/adapters/system/env.fault-points';
import { FILESYSTEM_TEMP_DIR } from '../../src/adapters/storage/filesystem.blob-store';
import { bootService, BootedService } from '../../src/boot';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { silentLogger } from '../support/service';
import {
  dirHashes, expectedHashes, OLD_API_KEY, PAIRING_FILE_TEXT, singleUserLayout, storeHashes, writeDocumentsToDir, writeDocumentsToStore,
  writePairingFile,
} from '../support/single-user-layout';
import { TS_CHILD_ARGS } from '../support/child-node';

/**
 * The single-user migration is resumable rather than all-or-nothing: whatever step it is stopped at
 * (thrown error, or SIGKILL), the next start finishes it, and the result is exactly the state after a
 * clean run: every document once, byte for byte, under one admin; no original left; one migrated key;
 * the pairing applied; the interrupted run recorded as failed; nothing in temporary areas.
 */
const root = join(__dirname, '..', '..');
const POINTS: readonly FaultPointName[] = ['single-to-multi.before-document', 'single-to-multi.after-copy', 'single-to-multi.after-delete'];

for (const [dbKind, storageKind] of [['sqlite', 'filesystem'], ['postgres', 's3']] as [DatabaseKind, StorageKind][]) {
  const pair = `${dbKind} + ${storageKind}`;
  describe(`single-user migration stopped at a fault point (${pair})`, function () {
    for (const point of POINTS) {
      for (const fault of ['throw', 'kill'] as const) {
        it(`${point} × ${fault === 'kill' ? 'SIGKILL' : 'throw'}, then a start → the state after a clean run`, async function () {
          const setup: BackendSetup = await backendEnv(this, dbKind, storageKind);
          const dir = await mkdtemp(join(tmpdir(), 'aviary-s2m-fault-'));
          const docs = singleUserLayout();
          const env: Record<string, string> = {
            ...(setup.env as Record<string, string>), DATA_DIR: join(dir, 'data'), PDF_DIR: join(dir, 'app', 'pdfs'),
            RMAPI_CONFIG_PATH: join(dir, 'home', 'rmapi.conf'), API_KEY: OLD_API_KEY, MULTI_USER: 'true',
            AUTH_USERNAME: 'operator', AUTH_PASSWORD: 'correct horse battery', ALLOW_INSECURE: 'true',
          };
          await writePairingFile(env.RMAPI_CONFIG_PATH);
          let service: BootedService | undefined;
          try {
            service = await bootService({ env, background: false, logger: silentLogger, startupMigration: false });
            const blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
            if (storageKind === 'filesystem') await writeDocumentsToDir(env.PDF_DIR, docs);
            else await writeDocumentsToStore(blobs, 'pdfs/', docs);

            if (fault === 'throw') {
              const deps = (service.container.get(MigrateSingleToMulti) as unknown as { deps: ConstructorParameters<typeof MigrateSingleToMulti>[0] }).deps;
              await assert.rejects(new MigrateSingleToMulti({ ...deps, faults: new InjectedFaultPoints(point, 'throw') }).execute(),
                (e: { code?: string }) => e.code === 'fault_injected');
              await service.close();
            } else {
              await service.close();
              await killedAt(point, env);
            }
            service = await bootService({ env, background: false, logger: silentLogger });
            const db = service.container.get<DatabaseBackend>(TOKENS.Database);
            const store = service.container.get<BlobStore>(TOKENS.BlobStore);
            const admin = (await db.accounts.findFirstAdmin())!;
            assert.deepEqual(await storeHashes(store, `users/${admin.id}/pdfs/`), expectedHashes(docs), 'every document once, byte for byte');
            for await (const blob of listAll(store, 'users/')) assert.ok(blob.key.startsWith(`users/${admin.id}/`), `${blob.key} went to another account`);
            const left = storageKind === 'filesystem' ? await dirHashes(env.PDF_DIR) : await storeHashes(store, 'pdfs/');
            assert.deepEqual(left, new Map(), 'no original left');
            const users = await db.records.readSnapshot(async (r) => {
              const rows = [];
              for await (const row of r.stream('users')) rows.push(row);
              return { rows, keys: await r.count('api_keys') };
            });
            assert.equal(users.keys, 1, 'one migrated key');
            assert.equal(users.rows.find((u) => u.id === admin.id)?.rmapi_config, PAIRING_FILE_TEXT);
            const runs = await db.migrationRuns.list(SINGLE_TO_MULTI_KIND);
            assert.deepEqual(runs.map((r) => r.status), ['completed', 'failed']);
            assert.deepEqual(runs.map((r) => (r.report as { targetUserId?: string }).targetUserId), [admin.id, admin.id]);
            const tmp: string[] = [];
            for await (const blob of listAll(store, 'tmp/')) tmp.push(blob.key);
            tmp.push(...(await readdir(join(env.DATA_DIR, FILESYSTEM_TEMP_DIR)).catch(() => [] as string[])));
            assert.deepEqual(tmp, [], 'nothing in temporary areas');
          } finally {
            await service?.close();
            await setup.cleanup();
            await rm(dir, { recursive: true, force: true });
          }
        });
      }
    }
  });
}

/** Starts the service in a child whose startup migration is SIGKILLed at `point`. */
async function killedAt(point: FaultPointName, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/e2e/host/fault-child.ts'], {
    cwd: root,
    env: { ...process.env, ...env, MATRIX_OP: 'start', NODE_ENV: 'test', AVIARY_FAULT_POINT: `${point}:kill` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
  assert.equal(signal, 'SIGKILL', `the child was not killed at ${point}: ${out}`);
}
