import type { Container } from 'inversify';
import type { ApiKeyTagger } from '../application/ports/api-key-tagger.port';
import type { AccountStore } from '../application/ports/account-store.port';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { FaultPoints } from '../application/ports/fault-points.port';
import type { Clock, Logger, PasswordHasher } from '../application/ports/system.port';
import { TOKENS } from '../application/ports/tokens';
import { MigrateSingleToMulti } from '../application/use-cases/migrate-single-to-multi.use-case';
import type { AppConfig } from '../adapters/config/app-config';
import type { AdminRouteContribution } from '../adapters/http/create-router';
import { singleUserDocuments } from '../adapters/storage/single-user-documents';
import { FsPairingFileSource } from '../adapters/system/fs.pairing-file-source';
import { isDeadHolder, localHolder } from '../adapters/system/process-liveness';
import { type FeatureModule, HTTP_TOKENS } from './http-tokens';
import type { StartupTask } from './startup-task';

// Required when the server mounts its routes: the CLI builds this container without loading express.
const singleToMultiRouter = () => require('../adapters/http/single-to-multi.router') as typeof import('../adapters/http/single-to-multi.router');

/**
 * The lease a run holds. A run killed on this host frees it at once (its pid is gone); one on another host
 * within the TTL, and a starting service waits a little longer than that before giving up.
 */
const LOCK_TTL_MS = 20_000;
const STARTUP_LOCK_WAIT_MS = LOCK_TTL_MS + 5_000;

export interface SingleToMultiModuleOptions {
  /**
   * Run the migration at start (the server does). The `migrate-single-user` command boots without it, to
   * preview or run the migration itself and report what it moved.
   */
  readonly runAtStartup: boolean;
}

/** docs/single-to-multi.md: the use case, its admin endpoints and the startup run. */
export const singleToMultiModule = (options: SingleToMultiModuleOptions): FeatureModule => (c: Container, config: AppConfig) => {
  c.bind(MigrateSingleToMulti).toResolvedValue(
    (db: DatabaseBackend, blobs: BlobStore, accounts: AccountStore, hasher: PasswordHasher, clock: Clock, logger: Logger, tagger: ApiKeyTagger, faults: FaultPoints) => {
      const storageRoot = (config.storage.options as { root?: string } | undefined)?.root ?? config.dataDir;
      return new MigrateSingleToMulti({
        documents: singleUserDocuments(config.storage.kind, blobs, config.pdfDir, storageRoot),
        target: blobs,
        accounts,
        pairing: new FsPairingFileSource(config.rmapiConfigPath),
        hasher,
        tagger,
        runs: db.migrationRuns,
        locks: db.locks,
        clock,
        logger,
        holder: localHolder('single-to-multi'),
        isDeadHolder,
        apiKey: config.auth.apiKey,
        lockTtlMs: LOCK_TTL_MS,
        faults,
      });
    },
    [TOKENS.Database, TOKENS.BlobStore, TOKENS.AccountStore, TOKENS.PasswordHasher, TOKENS.Clock, TOKENS.Logger, TOKENS.ApiKeyTagger, TOKENS.FaultPoints],
  );
  c.bind<AdminRouteContribution>(HTTP_TOKENS.AdminRoute).toResolvedValue(
    (migration: MigrateSingleToMulti, db: DatabaseBackend) => singleToMultiRouter().singleToMultiRoutes(migration, db.migrationRuns),
    [MigrateSingleToMulti, TOKENS.Database],
  );
  c.bind<StartupTask>(HTTP_TOKENS.StartupTask).toResolvedValue(
    (migration: MigrateSingleToMulti, logger: Logger) => singleToMultiStartupTask(migration, config.multiUser && options.runAtStartup, logger),
    [MigrateSingleToMulti, TOKENS.Logger],
  );
};

/**
 * Runs the migration at start when multi-user mode is on, an admin exists and something is left (documents,
 * a pairing file the admin lacks, an API_KEY no key verifies). Never fails the start: problems are logged
 * and the next start (or the admin endpoint) tries again. Logs counts, never secrets.
 */
export function singleToMultiStartupTask(migration: MigrateSingleToMulti, enabled: boolean, logger: Logger): StartupTask {
  return async () => {
    if (!enabled) return;
    try {
      const preview = await migration.preview();
      if (!preview.pending) return;
      if (!preview.targetUser) {
        logger.warn('single-user data is waiting for the first admin; it is migrated on the next start after one exists');
        return;
      }
      logger.info('single-user → multi-user migration starting', {
        target_user: preview.targetUser.username, documents: preview.documentCount, bytes: preview.totalBytes,
        pairing: preview.pairing.willApply, env_key: preview.apiKey,
      });
      const { status, report } = await migration.execute({ waitForLockMs: STARTUP_LOCK_WAIT_MS });
      const summary = {
        status, moved: report.moved.length, bytes: report.bytes, skipped: report.skipped.length, failed: report.failed.length,
        pairing: report.pairing, env_key: report.apiKey,
      };
      if (status === 'completed') logger.info('single-user → multi-user migration finished', summary);
      else logger.warn('single-user → multi-user migration finished with problems (see GET /api/admin/migrations/single-to-multi/runs)', { ...summary, warnings: report.warnings });
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = code === 'operation_in_progress'
        ? 'single-user → multi-user migration skipped: a backup, restore or migration holds the lock; it runs on the next start or from the admin API'
        : 'single-user → multi-user migration failed; it is retried on the next start';
      logger.error(message, { error: error instanceof Error ? error.message : String(error) });
    }
  };
}
