import type { Knex } from '@mikro-orm/knex';
import type { Row, TableDef } from '../../domain/schema/column';
import { tableDef, type AviaryTableName } from '../../domain/schema/aviary-schema';
import { isUuid } from '../../domain/schema/values';
import { InvalidInputError } from '../../domain/errors';
import type { RecordWriter, RowFilter } from '../../application/ports/record-store.port';
import type { Engine } from './engine';
import { guarded, translateDriverError } from './driver-errors';
import { decodeRow } from './value-codec';
import { copyRows, insertSqliteRows, type PgConnection, type RowSource, type SqliteConnection } from './bulk-insert';

/** Rows per keyset page when streaming a table (a page of the widest table is a few MB). */
export const STREAM_BATCH_SIZE = 2000;

/** Counters that let tests prove streaming reads in pages. */
export interface StoreStats {
  streamBatches: number;
}

/**
 * Reader and writer over one knex transaction. Valid only while the transaction is open, i.e.
 * inside the `readSnapshot` / `writeTransaction` callback that received it. One connection: await
 * each call before the next (calls between the pages of a stream are fine; Promise.all is not).
 */
export class KnexRecordAccess implements RecordWriter {
  constructor(
    private readonly db: Knex.Transaction,
    private readonly engine: Engine,
    private readonly stats: StoreStats,
  ) {}

  async count(table: AviaryTableName, filter?: RowFilter): Promise<number> {
    const def = definition(table);
    const query = this.filtered(def, filter).count({ n: '*' });
    const [row] = await guarded(this.engine, () => query, `count ${table}`);
    return Number((row as { n: unknown }).n);
  }

  /**
   * Keyset pagination on the primary key: each page is one query, and at most two pages are held.
   * The next page is asked for as soon as a page arrives, so the database reads it while this
   * process decodes and the consumer writes the current one.
   */
  async *stream(table: AviaryTableName, filter?: RowFilter): AsyncIterable<Row> {
    const def = definition(table);
    const key = this.keyExpression(def);
    const columns = def.columns.map((c) => c.name);
    const fetch = (after: unknown): Promise<Record<string, unknown>[]> => {
      const query = this.filtered(def, filter).select(columns).orderByRaw(key).limit(STREAM_BATCH_SIZE);
      if (after !== undefined) query.whereRaw(`${key} > ?`, [after as Knex.Value]);
      const page = guarded(this.engine, () => query, `read ${table}`) as Promise<Record<string, unknown>[]>;
      page.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
      return page;
    };
    let next: Promise<Record<string, unknown>[]> | null = fetch(undefined);
    while (next) {
      const page: Record<string, unknown>[] = await next;
      this.stats.streamBatches += 1;
      next = page.length < STREAM_BATCH_SIZE ? null : fetch(page[page.length - 1][def.primaryKey]);
      for (const raw of page) yield decodeRow(def, raw);
    }
  }

  /**
   * PostgreSQL: one COPY for the whole source; SQLite: prepared multi-row INSERTs. Both run on the
   * transaction's own connection, so the rows commit or roll back with everything else in it.
   */
  async insert(table: AviaryTableName, rows: RowSource): Promise<number> {
    const def = definition(table);
    const now = new Date();
    const conn: unknown = await this.db.client.acquireConnection();
    // The caller's source may fail too (a spool on a full disk): its error is passed on as it is.
    let sourceFailure: { error: unknown } | undefined;
    async function* source(): AsyncIterable<Row> {
      try {
        yield* rows;
      } catch (error) {
        sourceFailure = { error };
        throw error;
      }
    }
    try {
      return this.engine.dialect === 'postgres'
        ? await copyRows(conn as PgConnection, def, source(), now)
        : await insertSqliteRows(conn as SqliteConnection, def, source(), now);
    } catch (error) {
      throw sourceFailure ? sourceFailure.error : translateDriverError(error, this.engine, `insert into ${table}`);
    }
  }

  async delete(table: AviaryTableName, filter?: RowFilter): Promise<number> {
    const def = definition(table);
    const deleted = await guarded(this.engine, () => this.filtered(def, filter).delete(), `delete from ${table}`);
    return Number(deleted);
  }

  private filtered(def: TableDef, filter: RowFilter | undefined): Knex.QueryBuilder {
    const query = this.db(def.name);
    if (!filter) return query;
    const col = def.columns.find((c) => c.name === filter.column);
    if (!col) {
      throw new InvalidInputError('unknown_column', `${def.name} has no column ${filter.column} to filter on`);
    }
    // A UUID column cannot hold anything else; PostgreSQL would reject the comparison outright.
    const values = col.type === 'uuid' ? filter.in.filter(isUuid).map((v) => v.toLowerCase()) : [...filter.in];
    return values.length === 0 ? query.whereRaw('1 = 0') : query.whereIn(col.name, values);
  }

  /** Primary-key order must be identical on both engines: bytewise ("C") for text keys on PostgreSQL. */
  private keyExpression(def: TableDef): string {
    const col = def.columns.find((c) => c.name === def.primaryKey)!;
    const quoted = `"${col.name}"`;
    return this.engine.dialect === 'postgres' && col.type !== 'uuid' ? `${quoted} collate "C"` : quoted;
  }
}

function definition(table: AviaryTableName): TableDef {
  const def = tableDef(table);
  if (!def) throw new InvalidInputError('unknown_table', `Unknown table ${String(table)}`);
  return def;
}
