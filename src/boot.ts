import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container } from 'inversify';
import type { BlobStore } from './application/ports/blob-store.port';
import type { DatabaseBackend } from './application/ports/database.port';
import type { Logger } from './application/ports/system.port';
import { TOKENS } from './application/ports/tokens';
import type { EnsureFirstAdmin } from './application/use-cases/ensure-first-admin.use-case';
import { loadJwtSecret } from './adapters/auth/jwt-secret';
import type { HttpEmbedding } from './adapters/http/create-router';
import { AppConfig, ConfigOverrides, loadConfig } from './adapters/config/app-config';
import { ConsoleLogger } from './adapters/system/console.logger';
import { checkDataDirOwner, claimDataDir } from './adapters/system/data-dir-owner';
import { mkdirPrivate } from './adapters/system/private-files';
import type { BackgroundService } from './adapters/jobs/background-service';
import { HTTP_TOKENS } from './composition/http-tokens';
import type { StartupTask } from './composition/startup-task';
import { buildContainer, featureModules } from './container';
import { createRegistryFromEnv } from './plugins/builtin';
import type { AviaryPlugin, Env } from './plugins/plugin-api';

export interface BootOptions extends ConfigOverrides {
  /**
   * Configuration variables (README, Configuration); defaults to process.env. An embedding host
   * should pass an object of its own, or its environment together with `envPrefix`.
   */
  readonly env?: Env;
  /**
   * Read only variables starting with this prefix, without it (`AVIARY_BACKUP_DATA_DIR` → `DATA_DIR`),
   * so the host's own `PORT`, `LOG_LEVEL` or `DB_*` never configure or stop the service.
   */
  readonly envPrefix?: string;
  /** Base for relative paths such as DATA_DIR; defaults to process.cwd(). */
  readonly cwd?: string;
  /** Third-party plugins registering more database or storage kinds (besides those `AVIARY_PLUGINS` names). */
  readonly plugins?: readonly AviaryPlugin[];
  readonly logger?: Logger;
  /** Start job workers, schedules and timers (the server does; one-shot CLI commands don't). */
  readonly background?: boolean;
  /** Authentication choices of an embedding host (createAviaryBackup's `authenticate` and `cookie`). */
  readonly http?: HttpEmbedding;
  /** Run the single-user → multi-user migration among the startup tasks (default true). */
  readonly startupMigration?: boolean;
  /** Record Prometheus metrics and serve `GET /metrics` (default true; the CLI's commands do not). */
  readonly metrics?: boolean;
}

export interface BootedService {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly container: Container;
  readonly migrationsApplied: readonly string[];
  /** Set when this boot created the first admin. */
  readonly firstAdmin?: { readonly username: string; readonly passwordFile?: string };
  close(): Promise<void>;
}

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

/**
 * Config → plugins → DATA_DIR owner → storage and database reachable → schema migration → container →
 * first admin → startup tasks → background services. Nothing durable (schema, first admin, password
 * file) happens before every check passed; whatever was opened is closed again when a step fails.
 */
export async function bootService(options: BootOptions = {}): Promise<BootedService> {
  const env = withPrefix(options.env ?? process.env, options.envPrefix);
  const registry = await createRegistryFromEnv(env, options.cwd ?? process.cwd(), options.plugins ?? []);
  const config = loadConfig(env, registry, options, options.cwd);
  const logger = options.logger ?? new ConsoleLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);

  const context = { dataDir: config.dataDir, logger };
  const opened: { database?: DatabaseBackend; blobs?: BlobStore; background: BackgroundService[] } = { background: [] };
  const close = async () => {
    for (const service of opened.background.splice(0).reverse()) await service.stop().catch(() => undefined);
    const { database, blobs } = opened;
    opened.database = opened.blobs = undefined;
    await Promise.allSettled([database?.close(), blobs?.close?.()]);
  };
  try {
    const db = registry.resolveDatabase(config.database.kind, env, config.dataDir, config.database.options);
    const storage = registry.resolveStorage(config.storage.kind, env, config.dataDir, config.storage.options);
    if (!db.ok || !storage.ok) throw new Error('aviary-backup: backends changed after validation');
    const owner = databaseIdentity(db.backend, config.dataDir);
    await checkDataDirOwner(config.dataDir, owner);
    await mkdirPrivate(config.dataDir);
    // Storage first: a missing bucket must not leave a freshly created SQLite file behind.
    opened.blobs = await storage.backend.definition.create(config.storage.options, context);
    await opened.blobs.ping();
    opened.database = await db.backend.definition.create(config.database.options, context);
    await opened.database.ping();
    await claimDataDir(config.dataDir, owner);
    const { applied } = await opened.database.migrate();
    if (applied.length > 0) logger.info('database migrated', { kind: config.database.kind, applied });

    const secret = await loadJwtSecret(config.dataDir, config.auth.jwtSecret);
    const container = buildContainer(config, logger, { database: opened.database, blobs: opened.blobs }, secret, options.http,
      featureModules({ startupMigration: options.startupMigration, metrics: options.metrics }));
    const firstAdmin = config.multiUser ? await createFirstAdmin(container, config, logger) : undefined;
    for (const task of container.getAll<StartupTask>(HTTP_TOKENS.StartupTask)) await task({ firstAdminCreated: Boolean(firstAdmin) });
    if (options.background) {
      for (const service of container.getAll<BackgroundService>(HTTP_TOKENS.BackgroundService)) {
        await service.start();
        opened.background.push(service);
      }
    }
    return { config, logger, container, migrationsApplied: applied, firstAdmin, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function withPrefix(env: Env, prefix: string | undefined): Env {
  if (!prefix) return env;
  const selected: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(prefix) && name.length > prefix.length) selected[name.slice(prefix.length)] = value;
  }
  return selected;
}

/** The plugin's identity of the configured database, or its kind and options without secrets. */
function databaseIdentity(backend: { kind: string; definition: { identity?(options: unknown, dataDir: string): string }; options: unknown }, dataDir: string): string {
  if (backend.definition.identity) return backend.definition.identity(backend.options, dataDir);
  const options = (backend.options ?? {}) as Record<string, unknown>;
  const visible = Object.keys(options).filter((k) => !/pass|secret|key|token/i.test(k)).sort();
  return `${backend.kind}:${JSON.stringify(Object.fromEntries(visible.map((k) => [k, options[k]])))}`;
}

async function createFirstAdmin(container: Container, config: AppConfig, logger: Logger): Promise<BootedService['firstAdmin']> {
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
      `(also saved to ${INITIAL_PASSWORD_FILE} in DATA_DIR). Lost it? \`aviary-backup admin reset-password ${result.user.username}\` ` +
        'on this host sets a new one.',
  );
  return { username: result.user.username, passwordFile: INITIAL_PASSWORD_FILE };
}
