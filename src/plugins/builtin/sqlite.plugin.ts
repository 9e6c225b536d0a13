import { join } from 'node:path';
import { z } from 'zod';
import { createMikroOrmDatabase } from '../../adapters/database/mikro-orm.database';
import type { AviaryPlugin } from '../plugin-api';

const optionsSchema = z.object({
  /** The database file; relative paths are taken from the working directory. */
  path: z.string().min(1, 'must be a file path'),
});

export type SqlitePluginOptions = z.infer<typeof optionsSchema>;

/** Built-in `sqlite` database (the default): one file, WAL mode. */
export const sqlitePlugin: AviaryPlugin = {
  name: 'builtin-sqlite',
  register(api) {
    api.registerDatabase<SqlitePluginOptions>('sqlite', {
      description: 'SQLite database file (DB_PATH, default ${DATA_DIR}/aviary.db)',
      optionsSchema,
      envNames: { path: 'DB_PATH' },
      optionsFromEnv: (env, dataDir) => ({ path: env.DB_PATH || join(dataDir, 'aviary.db') }),
      create: (options, ctx) => createMikroOrmDatabase({ kind: 'sqlite', ...options }, ctx.logger),
    });
  },
};
