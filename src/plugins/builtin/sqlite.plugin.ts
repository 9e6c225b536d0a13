import { isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { createMikroOrmDatabase } from '../../adapters/database/mikro-orm.database';
import { type AviaryPlugin, PLUGIN_API_VERSION } from '../plugin-api';

const optionsSchema = z.object({
  /** The database file; relative paths are taken from the working directory. */
  path: z.string().min(1, 'must be a file path'),
});

export type SqlitePluginOptions = z.infer<typeof optionsSchema>;

/** Built-in `sqlite` database (the default): one file, WAL mode. */
export const sqlitePlugin: AviaryPlugin = {
  name: 'builtin-sqlite',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerDatabase<SqlitePluginOptions>('sqlite', {
      description: 'SQLite database file (DB_PATH, default ${DATA_DIR}/aviary.db)',
      optionsSchema,
      envNames: { path: 'DB_PATH' },
      optionsFromEnv: (env, dataDir) => ({ path: env.DB_PATH || join(dataDir, 'aviary.db') }),
      // Relative to DATA_DIR when inside it, so a DATA_DIR moved as a whole keeps its owner.
      identity: ({ path }, dataDir) => {
        const inside = relative(dataDir, resolve(path));
        return `sqlite:${inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : resolve(path)}`;
      },
      create: (options, ctx) => createMikroOrmDatabase({ kind: 'sqlite', ...options }, ctx.logger),
    });
  },
};
