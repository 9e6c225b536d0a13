'use strict';
// @ts-check
const { z } = require('zod');
const { createEngineDatabase, PLUGIN_API_VERSION } = require('aviary-backup');
const { mariadbEngine } = require('./engine');

const PORT_MESSAGE = 'must be an integer from 1 to 65535';
const port = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, PORT_MESSAGE).transform(Number)], { errorMap: () => ({ message: PORT_MESSAGE }) })
  .pipe(z.number().int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE));
const name = z.string().min(1, 'must not be empty');

const optionsSchema = z.object({
  host: name.default('localhost'),
  port: port.default(3306),
  user: name.default('aviary'),
  password: z.string().default(''),
  dbName: name.max(64, 'must be at most 64 characters (a MariaDB database name)').default('aviary'),
});

const envNames = { host: 'DB_HOST', port: 'DB_PORT', user: 'DB_USER', password: 'DB_PASSWORD', dbName: 'DB_NAME' };

/** @param {Readonly<Record<string, string | undefined>>} env */
function fromEnv(env) {
  /** @param {string} variable An unset or empty variable means "use the default"; DB_PASSWORD may be empty. */
  const value = (variable) => (env[variable] === undefined || env[variable] === '' ? undefined : env[variable]);
  return { host: value('DB_HOST'), port: value('DB_PORT'), user: value('DB_USER'), password: env.DB_PASSWORD, dbName: value('DB_NAME') };
}

/** `DB_TYPE=mariadb`: MariaDB (or MySQL-compatible) server through MikroORM's MySQL driver. @type {import('aviary-backup').AviaryPlugin} */
const plugin = {
  name: 'aviary-backup-mariadb',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerDatabase('mariadb', {
      description: 'MariaDB server (DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME)',
      optionsSchema,
      envNames,
      optionsFromEnv: (env) => fromEnv(env),
      identity: ({ host, port, dbName }) => `mariadb://${host}:${port}/${dbName}`,
      create: (options, context) => createEngineDatabase(mariadbEngine(options), context.logger),
    });
  },
};

module.exports = plugin;
module.exports.plugin = plugin;
module.exports.default = plugin;
