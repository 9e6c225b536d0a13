'use strict';
// @ts-check
const { MySqlDriver } = require('@mikro-orm/mysql');

/** Named lock held while migrating, so two processes sharing the database never migrate at once. */
const MIGRATION_LOCK = 'aviary-backup-migrate';
const MIGRATION_LOCK_WAIT_SECONDS = 120;

/**
 * Every connection: identifiers in double quotes (the service's shared SQL writes them so), strict
 * values, UTC for DATETIME and CURRENT_TIMESTAMP, 4-byte UTF-8.
 */
const SESSION = [
  "set session sql_mode = concat(@@session.sql_mode, ',ANSI_QUOTES,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION')",
  "set session time_zone = '+00:00'",
  'set names utf8mb4 collate utf8mb4_bin',
];

/** @param {{ query(sql: string, done: (error: Error | null) => void): void }} conn */
function run(conn, sql) {
  return new Promise((resolve, reject) => conn.query(sql, (error, rows) => (error ? reject(error) : resolve(rows))));
}

/**
 * @typedef {{ host: string, port: number, user: string, password: string, dbName: string }} MariadbOptions
 * @param {MariadbOptions} options
 * @returns {import('aviary-backup').Engine}
 */
function mariadbEngine(options) {
  const { host, port, user, password, dbName } = options;
  return {
    kind: 'mariadb',
    dialect: 'mysql',
    target: `MariaDB at ${host}:${port}, database "${dbName}", user "${user}"`,
    hint: 'Check DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME, and that the server is running.',
    // Values are sent inline (no bind limit); rows per statement stay well under max_allowed_packet.
    ormOptions: () => ({
      driver: MySqlDriver,
      host,
      port,
      user,
      password,
      dbName,
      pool: { min: 0, max: 10 },
      driverOptions: {
        // knex would otherwise write bound values (hashes, tokens) into every query error.
        compileSqlOnError: false,
        pool: {
          afterCreate(/** @type {any} */ conn, /** @type {(e: Error | null, c: unknown) => void} */ done) {
            SESSION.reduce((p, sql) => p.then(() => run(conn, sql)), Promise.resolve()).then(
              () => done(null, conn),
              (error) => done(error, conn),
            );
          },
        },
        connection: { timezone: 'Z', connectTimeout: 10_000 },
      },
    }),
    prepare: async () => undefined,
    snapshot: (main, work) =>
      main.transaction(
        async (trx) => {
          // InnoDB fixes a REPEATABLE READ snapshot at the first read of a table: read one now.
          await trx.raw('select count(*) from "aviary_backup_migrations"');
          return work(trx);
        },
        // (knex writes `… REPEATABLE READ READ ONLY` without the comma MariaDB needs: no readOnly.)
        { isolationLevel: 'repeatable read' },
      ),
    exclusive: async (main, work) => {
      const conn = await main.client.acquireConnection();
      try {
        const [row] = /** @type {{ got: number | null }[]} */ (
          await run(conn, `select get_lock('${MIGRATION_LOCK}', ${MIGRATION_LOCK_WAIT_SECONDS}) as got`)
        );
        if (Number(row?.got) !== 1) throw new Error(`another process held the migration lock for ${MIGRATION_LOCK_WAIT_SECONDS} s`);
        try {
          return await work();
        } finally {
          await run(conn, `select release_lock('${MIGRATION_LOCK}')`);
        }
      } finally {
        await main.client.releaseConnection(conn);
      }
    },
    close: async () => undefined,
  };
}

module.exports = { mariadbEngine };
