import type { BlobStore } from '../application/ports/blob-store.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { Logger } from '../application/ports/system.port';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The plugin API this build of the service implements. A plugin states the version it was written for
 * in `apiVersion`; the service refuses a plugin written for another one. Raised only for changes that
 * break plugins; additions keep the number.
 */
export const PLUGIN_API_VERSION = 1;

/** One problem found by an options schema: where (a path into the options) and what. */
export interface OptionsIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type OptionsParseResult<Options> =
  | { readonly success: true; readonly data: Options }
  | { readonly success: false; readonly error: { readonly issues: readonly OptionsIssue[] } };

/**
 * Validates and normalises raw options. Typed by shape, not by library: a zod 3 or zod 4 schema fits,
 * as does any object whose `safeParse` answers like theirs.
 */
export interface OptionsSchema<Options> {
  safeParse(input: unknown): OptionsParseResult<Options>;
}

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
  readonly optionsSchema: OptionsSchema<Options>;
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
  /**
   * The plugin API version the plugin was written for (`PLUGIN_API_VERSION`). Required of plugins
   * loaded through `AVIARY_PLUGINS` or `--plugin`; when given, a different version is refused.
   */
  readonly apiVersion?: number;
  register(api: PluginApi): void;
}
