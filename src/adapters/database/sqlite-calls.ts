import type { SqliteConnection, SqliteStatement } from './bulk-insert';

/** node-sqlite3's callback calls as promises, shared by the SQLite load paths. */

export function exec(conn: SqliteConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.exec(sql, (error) => (error ? reject(error) : resolve())));
}

export function all(conn: SqliteConnection, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => conn.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows))));
}

export function prepare(conn: SqliteConnection, sql: string): Promise<SqliteStatement> {
  return new Promise((resolve, reject) => {
    const statement = conn.prepare(sql, (error) => (error ? reject(error) : resolve(statement)));
  });
}

export function run(statement: SqliteStatement, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => statement.run(params, (error) => (error ? reject(error) : resolve())));
}

/** Runs the statement; resolves with the rows it changed. */
export function runCounting(statement: SqliteStatement, params: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => statement.run(params, function (error) {
    if (error) reject(error);
    else resolve(this.changes);
  }));
}

/** Finalizes the statement, if any; never rejects (it runs on the way out of failures too). */
export function finalize(statement: SqliteStatement | undefined): Promise<void> {
  return new Promise((resolve) => (statement ? statement.finalize(() => resolve()) : resolve()));
}
