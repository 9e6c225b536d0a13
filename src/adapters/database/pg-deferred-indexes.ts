/** A node-postgres client (the transaction's connection), for plain queries. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

interface Deferred {
  /** Quoted, possibly schema-qualified index name. */
  readonly index: string;
  readonly createIndex: string;
  /** Set when the index backs a primary-key or unique constraint of the table. */
  readonly constraint: string | null;
  readonly constraintDef: string | null;
}

/*
 * Indexes whose re-creation the load may wait for: every index of the table that no foreign key
 * depends on and that backs either nothing or a primary-key/unique constraint of this very table.
 * (users' primary key stays: the other tables' foreign keys point at it.)
 */
const DEFERRABLE = `
  select i.indexrelid::regclass::text as index, pg_get_indexdef(i.indexrelid) as create_index,
         c.conname as constraint, pg_get_constraintdef(c.oid) as constraint_def
  from pg_index i
  left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u')
  where i.indrelid = $1::regclass
    and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = i.indexrelid)
    and (c.oid is not null or not exists (select 1 from pg_constraint x where x.conindid = i.indexrelid))`;

/** Server memory an index build of the load may sort in (PostgreSQL's default is 64 MB). */
const INDEX_BUILD_MEMORY_MB = 256;

/** Index builds of the current transaction sort in memory instead of in temporary files; a larger setting is never lowered. */
export async function raiseIndexBuildMemory(conn: PgQueryable): Promise<void> {
  await conn.query(`select set_config('maintenance_work_mem', $1, true)
    where (select setting::bigint from pg_settings where name = 'maintenance_work_mem') < $2`, [`${INDEX_BUILD_MEMORY_MB}MB`, INDEX_BUILD_MEMORY_MB * 1024]);
}

/** The table's own foreign keys: checked once for all rows when added back, not row by row. */
const FOREIGN_KEYS = `
  select conname as constraint, pg_get_constraintdef(oid) as constraint_def
  from pg_constraint where contype = 'f' and conrelid = $1::regclass`;

/**
 * Loads an empty table without maintaining its indexes and checking its foreign keys row by row:
 * they are dropped first and built (or checked) again from the loaded rows afterwards, all inside the caller's transaction (PostgreSQL's DDL
 * is transactional, so a failure or a crash leaves the indexes as they were). Building an index
 * by sorting once is several times faster than a million random inserts into it, and writes far
 * less WAL. A table that still has rows (a selective restore) keeps its indexes. A unique index
 * that the loaded rows violate fails its rebuild, a dangling reference the foreign key's check,
 * with the same error codes a COPY would have raised.
 */
export async function withIndexesDeferred<T>(conn: PgQueryable, table: string, load: () => Promise<T>): Promise<T> {
  const quoted = `"${table}"`;
  const { rows: [probe] } = await conn.query(`select exists (select 1 from ${quoted}) as has_rows`);
  if (probe.has_rows) return load();
  const { rows } = await conn.query(DEFERRABLE, [quoted]);
  const deferred: Deferred[] = rows.map((r) => ({
    index: String(r.index),
    createIndex: String(r.create_index),
    constraint: r.constraint === null ? null : String(r.constraint),
    constraintDef: r.constraint_def === null ? null : String(r.constraint_def),
  }));
  const { rows: foreignKeys } = await conn.query(FOREIGN_KEYS, [quoted]);
  for (const fk of foreignKeys) await conn.query(`alter table ${quoted} drop constraint "${String(fk.constraint)}"`);
  for (const d of deferred) {
    await conn.query(d.constraint ? `alter table ${quoted} drop constraint "${d.constraint}"` : `drop index ${d.index}`);
  }
  const result = await load();
  if (deferred.length > 0) {
    await raiseIndexBuildMemory(conn);
  }
  for (const d of deferred) {
    await conn.query(d.constraint ? `alter table ${quoted} add constraint "${d.constraint}" ${d.constraintDef}` : d.createIndex);
  }
  for (const fk of foreignKeys) {
    await conn.query(`alter table ${quoted} add constraint "${String(fk.constraint)}" ${String(fk.constraint_def)}`);
  }
  return result;
}
