import { ConfigError } from '../adapters/config/app-config';
import {
  PLUGIN_API_VERSION, type AviaryPlugin, type DatabaseDefinition, type Env, type OptionsIssue, type PluginApi, type StorageDefinition,
} from './plugin-api';

/** A plugin that cannot be used: a configuration error like any other (the programs exit with status 2). */
export class PluginRegistrationError extends ConfigError {
  constructor(message: string) {
    super([message]);
    this.name = 'PluginRegistrationError';
  }
}

type Role = 'database' | 'storage';

export interface ResolvedBackend<D> {
  readonly kind: string;
  readonly definition: D;
  readonly options: unknown;
}

const KIND = /^[a-z][a-z0-9_-]{0,39}$/;

/** Holds the backend kinds that plugins registered; resolves a configured kind and its options. */
export class PluginRegistry implements PluginApi {
  private readonly databases = new Map<string, DatabaseDefinition>();
  private readonly storages = new Map<string, StorageDefinition>();
  private readonly owners = new Map<string, string>();
  private currentPlugin = '(direct)';

  use(plugin: AviaryPlugin): this {
    const name = describePlugin(plugin);
    if (typeof plugin?.register !== 'function' || typeof plugin.name !== 'string' || plugin.name === '') {
      throw new PluginRegistrationError(`Plugin ${name} is not an AviaryPlugin: it needs a name and a register(api) function`);
    }
    if (plugin.apiVersion !== undefined && plugin.apiVersion !== PLUGIN_API_VERSION) {
      throw new PluginRegistrationError(
        `Plugin "${plugin.name}" was written for plugin API version ${JSON.stringify(plugin.apiVersion)}; ` +
          `this aviary-backup implements version ${PLUGIN_API_VERSION}: use a release of the plugin made for it`,
      );
    }
    const previous = this.currentPlugin;
    this.currentPlugin = plugin.name;
    try {
      plugin.register(this);
    } catch (error) {
      if (error instanceof Error && error.name === 'PluginRegistrationError') throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new PluginRegistrationError(`Plugin "${plugin.name}" failed to register: ${reason}`);
    } finally {
      this.currentPlugin = previous;
    }
    return this;
  }

  registerDatabase<O>(kind: string, definition: DatabaseDefinition<O>): void {
    this.add('database', this.databases, kind, definition);
  }

  registerStorage<O>(kind: string, definition: StorageDefinition<O>): void {
    this.add('storage', this.storages, kind, definition);
  }

  databaseKinds(): string[] {
    return [...this.databases.keys()];
  }

  storageKinds(): string[] {
    return [...this.storages.keys()];
  }

  /** The environment variables a registered kind reads (its `envNames`). */
  envNamesOf(role: Role, kind: string): string[] {
    const definition = (role === 'database' ? this.databases : this.storages).get(kind);
    return Object.values(definition?.envNames ?? {});
  }

  /** Validates the configured kind and options; returns problems instead of throwing. */
  resolveDatabase(kind: string, env: Env, dataDir: string, explicit?: unknown) {
    return this.resolve('database', 'DB_TYPE', this.databases, kind, env, dataDir, explicit);
  }

  resolveStorage(kind: string, env: Env, dataDir: string, explicit?: unknown) {
    return this.resolve('storage', 'STORAGE_BACKEND', this.storages, kind, env, dataDir, explicit);
  }

  private add<D>(role: Role, map: Map<string, D>, kind: string, definition: D): void {
    if (!KIND.test(kind)) {
      throw new PluginRegistrationError(
        `Plugin "${this.currentPlugin}" tried to register ${role} kind ${JSON.stringify(kind)}: ` +
          'kinds are lowercase letters, digits, "-" and "_", starting with a letter',
      );
    }
    const ownerKey = `${role}:${kind}`;
    if (map.has(kind)) {
      throw new PluginRegistrationError(
        `Plugin "${this.currentPlugin}" tried to register ${role} kind "${kind}", ` +
          `already registered by plugin "${this.owners.get(ownerKey)}"`,
      );
    }
    const def = definition as { optionsSchema?: unknown; create?: unknown };
    if (!def || typeof def.create !== 'function' || !def.optionsSchema) {
      throw new PluginRegistrationError(
        `Plugin "${this.currentPlugin}" registered ${role} kind "${kind}" without optionsSchema and create()`,
      );
    }
    map.set(kind, definition);
    this.owners.set(ownerKey, this.currentPlugin);
  }

  private resolve<D extends DatabaseDefinition | StorageDefinition>(
    role: Role,
    variable: string,
    map: Map<string, D>,
    kind: string,
    env: Env,
    dataDir: string,
    explicit: unknown,
  ): { ok: true; backend: ResolvedBackend<D> } | { ok: false; problems: string[] } {
    const definition = map.get(kind);
    if (!definition) {
      const known = [...map.keys()].join(', ') || 'none';
      return { ok: false, problems: [`${variable}: unknown ${role} kind "${kind}" (registered: ${known})`] };
    }
    const raw = explicit ?? definition.optionsFromEnv?.(env, dataDir) ?? {};
    const parsed = definition.optionsSchema.safeParse(raw);
    if (!parsed.success) {
      const names = explicit === undefined ? definition.envNames : undefined;
      return { ok: false, problems: formatZodProblems(parsed.error, `${role} "${kind}"`, names) };
    }
    return { ok: true, backend: { kind, definition, options: parsed.data } };
  }
}

function describePlugin(plugin: unknown): string {
  const name = (plugin as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? `"${name}"` : `(${plugin === null ? 'null' : typeof plugin})`;
}

/** Problems of a schema (zod 3, zod 4 or alike), each naming the environment variable when known. */
export function formatZodProblems(
  error: { readonly issues: readonly OptionsIssue[] },
  where: string,
  envNames?: Readonly<Record<string, string>>,
): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const variable = envNames?.[String(issue.path[0])];
    const subject = variable ?? `${where}${path ? ` option ${path}` : ''}`;
    return `${subject}: ${issue.message}${variable ? ` (${where})` : ''}`;
  });
}
