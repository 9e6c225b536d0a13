import type { AviaryPlugin, Env } from '../plugin-api';
import { pluginsFromEnv } from '../loader';
import { PluginRegistry } from '../registry';
import { filesystemPlugin } from './filesystem.plugin';
import { postgresPlugin } from './postgres.plugin';
import { s3Plugin } from './s3.plugin';
import { sqlitePlugin } from './sqlite.plugin';

/** The backends every installation has; registered through the same API a third party uses. */
export const BUILTIN_PLUGINS: readonly AviaryPlugin[] = [sqlitePlugin, postgresPlugin, filesystemPlugin, s3Plugin];

export function createRegistry(extra: readonly AviaryPlugin[] = []): PluginRegistry {
  const registry = new PluginRegistry();
  for (const plugin of [...BUILTIN_PLUGINS, ...extra]) registry.use(plugin);
  return registry;
}

/** The built-ins, the given plugins, then those `AVIARY_PLUGINS` names (server, CLI and embedding alike). */
export async function createRegistryFromEnv(env: Env, cwd: string, extra: readonly AviaryPlugin[] = []): Promise<PluginRegistry> {
  return createRegistry([...extra, ...(await pluginsFromEnv(env, cwd))]);
}
