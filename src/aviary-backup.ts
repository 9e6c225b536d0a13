import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import type { Container } from 'inversify';
import type { BlobStore } from './application/ports/blob-store.port';
import type { DatabaseBackend } from './application/ports/database.port';
import type { Logger } from './application/ports/system.port';
import { TOKENS } from './application/ports/tokens';
import type { EnsureFirstAdmin } from './application/use-cases/ensure-first-admin.use-case';
import { loadJwtSecret } from './adapters/auth/jwt-secret';
import { AppConfig, ConfigOverrides, loadConfig } from './adapters/config/app-config';
import { ConsoleLogger } from './adapters/system/console.logger';
import { buildContainer, HTTP_TOKENS } from './container';
import { createRegistry } from './plugins/builtin';
import type { AviaryPlugin, Env } from './plugins/plugin-api';

export interface AviaryBackupOptions extends ConfigOverrides {
  /** Configuration variables (SPEC §1); defaults to process.env. */
  readonly env?: Env;
  /** Base for relative paths such as DATA_DIR; defaults to process.cwd(). */
  readonly cwd?: string;
  /** Third-party plugins registering more database or storage kinds. */
  readonly plugins?: readonly AviaryPlugin[];
  readonly logger?: Logger;
}

export interface StartReport {
  readonly migrationsApplied: readonly string[];
  /** Set when this start created the first admin. */
  readonly firstAdmin?: { readonly username: string; readonly passwordFile?: string };
}

export interface AviaryBackup {
  /** Mount anywhere (`app.use('/aviary', service.router)`); answers 503 until start() resolves. */
  readonly router: Router;
  start(): Promise<StartReport>;
  /** Stops timers and closes database and storage connections. Safe to call twice. */
  close(): Promise<void>;
  /** Available after start(). */
  readonly config: AppConfig | undefined;
  readonly container: Container | undefined;
}

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

/** Builds the service; nothing touches the disk or network until start(). */
export function createAviaryBackup(options: AviaryBackupOptions = {}): AviaryBackup {
  let inner: Router | undefined;
  let config: AppConfig | undefined;
  let container: Container | undefined;
  let backends: { database?: DatabaseBackend; blobs?: BlobStore } = {};
  let closed = false;

  const gate: RequestHandler = (req, res, next) => {
    if (inner) return inner(req, res, next);
    res.status(503).json({ error: 'The backup service is starting or stopped', error_type: 'service_unavailable' });
  };
  const router = Router();
  router.use(gate);

  async function start(): Promise<StartReport> {
    if (inner) throw new Error('aviary-backup: start() was already called');
    const env = options.env ?? process.env;
    const registry = createRegistry(options.plugins ?? []);
    config = loadConfig(env, registry, options, options.cwd);
    const logger = options.logger ?? new ConsoleLogger(config.logLevel);
    await mkdir(config.dataDir, { recursive: true });

    const context = { dataDir: config.dataDir, logger };
    try {
      const dbDefinition = registry.resolveDatabase(config.database.kind, env, config.dataDir, config.database.options);
      const storageDefinition = registry.resolveStorage(config.storage.kind, env, config.dataDir, config.storage.options);
      if (!dbDefinition.ok || !storageDefinition.ok) throw new Error('aviary-backup: backends changed after validation');
      backends.database = await dbDefinition.backend.definition.create(config.database.options, context);
      backends.blobs = await storageDefinition.backend.definition.create(config.storage.options, context);
      const { applied } = await backends.database.migrate();
      if (applied.length > 0) logger.info('database migrated', { kind: config.database.kind, applied });

      const secret = await loadJwtSecret(config.dataDir, config.auth.jwtSecret);
      container = buildContainer(config, logger, { database: backends.database, blobs: backends.blobs }, secret);
      const firstAdmin = config.multiUser ? await createFirstAdmin(container, config, logger) : undefined;
      inner = container.get<Router>(HTTP_TOKENS.ApiRouter);
      logger.info('aviary-backup ready', { database: config.database.kind, storage: config.storage.kind, multi_user: config.multiUser });
      return { migrationsApplied: applied, firstAdmin };
    } catch (error) {
      await closeBackends();
      throw error;
    }
  }

  async function closeBackends(): Promise<void> {
    const { database, blobs } = backends;
    backends = {};
    await Promise.allSettled([database?.close(), blobs?.close?.()]);
  }

  return {
    router,
    start,
    async close() {
      if (closed) return;
      closed = true;
      inner = undefined;
      await closeBackends();
    },
    get config() {
      return config;
    },
    get container() {
      return container;
    },
  };
}

async function createFirstAdmin(container: Container, config: AppConfig, logger: Logger): Promise<StartReport['firstAdmin']> {
  const ensure = container.get<EnsureFirstAdmin>(TOKENS.EnsureFirstAdmin);
  const result = await ensure.execute({
    username: config.auth.username,
    password: config.auth.password,
    email: config.auth.adminEmail,
  });
  if (!result.created) return undefined;
  if (result.generatedPassword === undefined) return { username: result.user.username };
  const file = join(config.dataDir, INITIAL_PASSWORD_FILE);
  await writeFile(file, result.generatedPassword + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  // Printed once, on the start that created the account; the file keeps it for the operator.
  logger.info(
    `First admin created. Log in as "${result.user.username}" with password: ${result.generatedPassword} ` +
      `(also saved to ${INITIAL_PASSWORD_FILE} in DATA_DIR; change it after logging in)`,
  );
  return { username: result.user.username, passwordFile: INITIAL_PASSWORD_FILE };
}
