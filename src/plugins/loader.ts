import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AviaryPlugin, type Env, PLUGIN_API_VERSION } from './plugin-api';
import { PluginRegistrationError } from './registry';

/** Comma-separated plugin modules (package names or paths) the service loads at start. */
export const PLUGINS_VARIABLE = 'AVIARY_PLUGINS';

/** `AVIARY_PLUGINS` split into module specifiers; blanks and repeats dropped. */
export function pluginSpecifiers(value: string | undefined): string[] {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return [...new Set(names)];
}

/**
 * The plugins that `AVIARY_PLUGINS` names, loaded: the one path the server, the CLI (`--plugin` adds to
 * the variable) and an embedding (through its env and prefix) share. A plugin that cannot be loaded is a
 * configuration error naming it and the reason.
 */
export function pluginsFromEnv(env: Env, cwd: string): Promise<AviaryPlugin[]> {
  return loadPlugins(pluginSpecifiers(env[PLUGINS_VARIABLE]), cwd);
}

export async function loadPlugins(specifiers: readonly string[], cwd: string): Promise<AviaryPlugin[]> {
  const plugins: AviaryPlugin[] = [];
  for (const specifier of specifiers) plugins.push(await loadPlugin(specifier, cwd));
  return plugins;
}

/**
 * Imports one module: a path (absolute, or relative to `cwd`) or a package name found from `cwd` first,
 * then from where the service is installed. Its default export, or its `plugin` export, is the plugin.
 */
export async function loadPlugin(specifier: string, cwd: string): Promise<AviaryPlugin> {
  const fail = (reason: string) => new PluginRegistrationError(`${PLUGINS_VARIABLE}: plugin "${specifier}" ${reason}`);
  let file: string;
  try {
    file = resolveModule(specifier, cwd);
  } catch {
    throw fail(
      isPath(specifier)
        ? `cannot be loaded: no module at ${resolve(cwd, specifier)}`
        : `cannot be loaded: package not found from ${cwd} (install it there or next to aviary-backup, or give a path)`,
    );
  }
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw fail(`cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  const plugin = pluginExport(exported);
  if (!plugin) throw fail('exports no plugin: its default export or its `plugin` export must be an AviaryPlugin ({ name, apiVersion, register })');
  if (plugin.apiVersion === undefined) {
    throw fail(`("${plugin.name}") declares no apiVersion: set apiVersion: ${PLUGIN_API_VERSION} (PLUGIN_API_VERSION) on the plugin`);
  }
  return plugin;
}

function isPath(specifier: string): boolean {
  return isAbsolute(specifier) || specifier.startsWith('.') || specifier.includes('\\');
}

function resolveModule(specifier: string, cwd: string): string {
  const fromCwd = createRequire(join(cwd, 'noop.js'));
  if (isPath(specifier)) return fromCwd.resolve(resolve(cwd, specifier));
  try {
    return fromCwd.resolve(specifier);
  } catch {
    return require.resolve(specifier);
  }
}

const looksLikePlugin = (value: unknown): value is AviaryPlugin =>
  value !== null && typeof value === 'object' && typeof (value as { register?: unknown }).register === 'function';

/** ESM default or `plugin` export; CommonJS `module.exports =`, `exports.plugin =` or a compiled `exports.default =`. */
function pluginExport(exported: Record<string, unknown>): AviaryPlugin | undefined {
  const cjs = exported.default as Record<string, unknown> | undefined;
  const candidates = [exported.default, exported.plugin, cjs?.default, cjs?.plugin];
  return candidates.find(looksLikePlugin);
}
