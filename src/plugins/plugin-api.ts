import type { ZodType, ZodTypeDef } from 'zod';
import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { Logger } from '../application/ports/system.port';

export type Env = Readonly<Record<string, string | undefined>>;

export interface PluginContext {
  /** Absolute DATA_DIR of the service. */
  readonly dataDir: string;
  readonly logger: Logger;
}

/**
 * How a backend kind is configured and built. Options come from `optionsFromEnv` (the standalone
 * service) or from the embedding application, and are validated with `optionsSchema` at start,
 * every problem of every backend reported together.
 */
export interface BackendDefinition<Options, Backend> {
  readonly description?: string;
  readonly optionsSchema: ZodType<Options, ZodTypeDef, unknown>;
  /** Raw options read from the environment (README, Configuration names); validated afterwards. */
  optionsFromEnv?(env: Env, dataDir: string): unknown;
  /** Option name → environment variable, so start-up errors name the variable an operator sets. */
  readonly envNames?: Readonly<Record<string, string>>;
  create(options: Options, context: PluginContext): Promise<Backend>;
  /**
   * What the options point at, without secrets (e.g. `postgres://db:5432/aviary`): two configurations
   * with the same identity are the same database. One DATA_DIR serves one database identity.
   * Without it, the kind and the options minus password/secret/key/token fields are used.
   */
  identity?(options: Options, dataDir: string): string;
}

export type DatabaseDefinition<Options = any> = BackendDefinition<Options, DatabaseBackend>;
export type StorageDefinition<Options = any> = BackendDefinition<Options, BlobStore>;

export interface PluginApi {
  registerDatabase<O>(kind: string, definition: DatabaseDefinition<O>): void;
  registerStorage<O>(kind: string, definition: StorageDefinition<O>): void;
}

/** A plugin: built-in or third party, they use the same API. */
export interface AviaryPlugin {
  readonly name: string;
  register(api: PluginApi): void;
}
