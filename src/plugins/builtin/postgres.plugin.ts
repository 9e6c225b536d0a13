import { z } from 'zod';
import { createMikroOrmDatabase } from '../../adapters/database/mikro-orm.database';
import { SSL_MODES } from '../../adapters/database/postgres-ssl';
import { type AviaryPlugin, type Env, PLUGIN_API_VERSION } from '../plugin-api';

const PORT_MESSAGE = 'must be an integer from 1 to 65535';

/** Environment values are text; an embedding application may pass a number. */
const port = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, PORT_MESSAGE).transform(Number)], {
    errorMap: () => ({ message: PORT_MESSAGE }),
  })
  .pipe(z.number({ message: PORT_MESSAGE }).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE));

// Defaults of README, Configuration, so an embedding application may pass only what differs.
const optionsSchema = z.object({
  host: z.string().min(1, 'must not be empty').default('localhost'),
  port: port.default(5432),
  user: z.string().min(1, 'must not be empty').default('aviary'),
  password: z.string().default(''),
  dbName: z.string().min(1, 'must not be empty').default('aviary'),
  sslmode: z.enum(SSL_MODES, { message: `must be one of ${SSL_MODES.join(', ')}` }).default('disable'),
});

export type PostgresPluginOptions = z.infer<typeof optionsSchema>;

/** An unset or empty variable means "use the default"; DB_PASSWORD may legitimately be empty. */
function fromEnv(env: Env) {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return {
    host: value('DB_HOST'),
    port: value('DB_PORT'),
    user: value('DB_USER'),
    password: env.DB_PASSWORD,
    dbName: value('DB_NAME'),
    sslmode: value('DB_SSLMODE')?.toLowerCase(),
  };
}

/** Built-in `postgres` database. */
export const postgresPlugin: AviaryPlugin = {
  name: 'builtin-postgres',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerDatabase<PostgresPluginOptions>('postgres', {
      description: 'PostgreSQL server (DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_SSLMODE)',
      optionsSchema: optionsSchema as z.ZodType<PostgresPluginOptions>,
      envNames: {
        host: 'DB_HOST',
        port: 'DB_PORT',
        user: 'DB_USER',
        password: 'DB_PASSWORD',
        dbName: 'DB_NAME',
        sslmode: 'DB_SSLMODE',
      },
      optionsFromEnv: (env) => fromEnv(env),
      identity: ({ host, port, dbName }) => `postgres://${host}:${port}/${dbName}`,
      create: (options, ctx) => createMikroOrmDatabase({ kind: 'postgres', ...options }, ctx.logger),
    });
  },
};
