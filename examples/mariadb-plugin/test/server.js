'use strict';
// The MariaDB server the tests use (CI starts one on 127.0.0.1:3306, root without password) and a
// throwaway database on it per suite.
const { randomBytes } = require('node:crypto');
const mysql = require('mysql2/promise');

const server = {
  host: process.env.MARIADB_HOST || '127.0.0.1',
  port: Number(process.env.MARIADB_PORT || 3306),
  user: process.env.MARIADB_USER || 'root',
  password: process.env.MARIADB_PASSWORD || '',
};

/** A new empty database; `drop()` removes it. */
async function scratchDatabase() {
  const name = `aviary_test_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection(server);
  try {
    await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  return {
    name,
    /** The service's variables for this database. */
    env: { DB_TYPE: 'mariadb', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_NAME: name },
    async drop() {
      const conn = await mysql.createConnection(server);
      try {
        await conn.query(`drop database if exists \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

module.exports = { server, scratchDatabase };
