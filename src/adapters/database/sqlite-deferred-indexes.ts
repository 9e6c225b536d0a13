import type { SqliteConnection } from './bulk-insert';
import { all, exec } from './sqlite-calls';

/**
 * Page cache for the load (KiB, as SQLite's negative cache_size); index builds sort in as much
 * again. 4 MiB builds the indexes of a million rows as fast as 16 MiB did, and SQLite allocates it
 * on the driver's worker threads, whose malloc arenas kept about three times the 16 MiB each.
 */
const LOAD_CACHE_KIB = 4 * 1024;

/**
 * SQLite's counterpart of the PostgreSQL load: into an empty table, the indexes declared with
 * CREATE INDEX are dropped and built again from the loaded rows (one sort each instead of a
 * random B-tree insert per row), inside the caller's transaction, so a rollback or a crash brings
 * them back as they were. Primary-key and UNIQUE-column indexes belong to the table and stay. The
 * page cache is enlarged for the load only and set back afterwards.
 */
export async function withSqliteIndexesDeferred<T>(conn: SqliteConnection, table: string, load: () => Promise<T>): Promise<T> {
  const [probe] = await all(conn, `select exists (select 1 from "${table}") as has_rows`);
  const [cache] = await all(conn, 'pragma cache_size');
  await exec(conn, `pragma cache_size = -${LOAD_CACHE_KIB}`);
  try {
    if (probe.has_rows) return await load();
    const indexes = await all(conn, `select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null`, [table]);
    for (const index of indexes) await exec(conn, `drop index "${String(index.name).replace(/"/g, '""')}"`);
    const result = await load();
    for (const index of indexes) await exec(conn, String(index.sql));
    return result;
  } finally {
    await exec(conn, `pragma cache_size = ${Number(cache.cache_size)}`).catch(() => undefined);
  }
}
