import { randomBytes } from 'node:crypto';
import type { Knex } from '@mikro-orm/knex';
import { from as copyFrom } from 'pg-copy-streams';
import type { LineStage } from '../../application/ports/record-store.port';
import type { TableDef } from '../../domain/schema/column';
import type { PgConnection } from './bulk-insert';
import { raiseIndexBuildMemory } from './pg-deferred-indexes';

/** Every stage table's name starts so; one left by a crash is dropped by the next stage. */
const STAGE_PREFIX = 'aviary_stage_';
/** What the COPY stream buffers before `add` waits for the socket (a few spooled chunks). */
const COPY_BUFFER_BYTES = 64 * 1024;

/** An index of the real table, as the stage builds it under a name of its own. */
interface StagedIndex {
  /** The real index's name, or its constraint's (primary key / unique). */
  readonly name: string;
  readonly stageName: string;
  /** `primary key` or `unique` when the index backs that constraint. */
  readonly constraint: 'primary key' | 'unique' | null;
  readonly createStage: string;
}

/** A finished stage table, which the commit may put in the real table's place. */
export interface PgStagedTable {
  readonly schema: string;
  readonly stageTable: string;
  readonly rows: number;
  readonly indexes: readonly StagedIndex[];
}

interface TableState {
  readonly def: TableDef;
  /** Resolves once the COPY into the stage table runs (or the table is unusable). */
  readonly ready: Promise<void>;
  conn?: PgConnection;
  copy?: NodeJS.WritableStream & { rowCount: number; writableFinished: boolean; destroy(error?: Error): void; write(chunk: Uint8Array): boolean };
  /** Resolves once the COPY is over on its connection: finished, failed or cancelled. */
  copyDone?: Promise<void>;
  staged?: Omit<PgStagedTable, 'rows'>;
  failed?: unknown;
  /** The COPY itself failed (the server refused a line): nothing is left to cancel. */
  copyFailed?: boolean;
  ended?: Promise<PgStagedTable | undefined>;
}

/**
 * What makes a table unfit to be replaced by a stage table: anything besides its columns, their
 * defaults, checks and column comments, its own indexes and its own foreign keys — something
 * depending on it (a view, another table's foreign key, an owned sequence, a trigger, a policy, a
 * publication), grants, an owner other than us, row security, inheritance, options, identity or
 * generated columns, comments on the table, its indexes or constraints, an exclusion or deferrable
 * constraint. Such a table is loaded the usual way.
 */
const UNFIT = `
  select c.relkind <> 'r' or c.relispartition or c.relrowsecurity or c.relacl is not null or c.reloptions is not null
      or pg_get_userbyid(c.relowner) <> current_user
      or exists (select 1 from pg_inherits where inhrelid = c.oid or inhparent = c.oid)
      or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and (a.attidentity <> '' or a.attgenerated <> ''))
      or exists (select 1 from pg_constraint x where x.conrelid = c.oid and (x.contype = 'x' or x.condeferrable))
      or exists (select 1 from pg_depend d where d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid and d.deptype in ('n', 'a')
                   and not (d.classid = 'pg_class'::regclass and d.objid in (select indexrelid from pg_index where indrelid = c.oid))
                   and not (d.classid = 'pg_constraint'::regclass and d.objid in (select oid from pg_constraint where conrelid = c.oid))
                   and not (d.classid = 'pg_attrdef'::regclass and d.objid in (select oid from pg_attrdef where adrelid = c.oid)))
      or exists (select 1 from pg_description ds where ds.objsubid = 0 and (ds.objoid = c.oid
                   or ds.objoid in (select indexrelid from pg_index where indrelid = c.oid)
                   or ds.objoid in (select oid from pg_constraint where conrelid = c.oid and contype in ('p', 'u', 'f')))) as unfit,
    n.nspname as schema
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.oid = to_regclass($1)`;

/** The real table's indexes, with the text that builds each and what each must start with. */
const INDEXES = `
  select i.relname as index, pg_get_indexdef(x.indexrelid) as def, k.conname as constraint, k.contype,
         format('CREATE %sINDEX %I ON %I.%I ', case when x.indisunique then 'UNIQUE ' else '' end, i.relname, n.nspname, t.relname) as head
  from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  left join pg_constraint k on k.conindid = x.indexrelid and k.conrelid = x.indrelid and k.contype in ('p', 'u')
  where x.indrelid = to_regclass($1)`;

const FOREIGN_KEYS = `select conname, pg_get_constraintdef(oid) as def from pg_constraint where contype = 'f' and conrelid = to_regclass($1)`;

/**
 * PostgreSQL's `LineStage`: while the archive is still read, each encoded table's COPY lines go
 * into a table of the stage's own (same columns, defaults and checks, in the real table's schema),
 * on a pooled connection of its own, committed as it goes; when the table's lines end, its indexes
 * are built there. Nothing the service or Aviary uses is touched or locked. The commit's
 * transaction then drops the real table and renames the stage's into its place, indexes and
 * constraints under their own names, foreign keys checked as they are added back: a few catalog
 * changes instead of a COPY and index builds, and all of it undone by a rollback. PostgreSQL works
 * on the rows while this process reads the archive, instead of after it.
 * Only an accelerator: a table the stage could not take, or one unfit for the swap, is loaded from
 * the spooled lines as before. Stage tables are dropped when the stage closes; after a crash, by
 * the recovery at start or the next stage (only one restore runs at a time: it holds the global lock).
 */
export class PgLineStage implements LineStage {
  private readonly run = `${STAGE_PREFIX}${randomBytes(4).toString('hex')}_`;
  private readonly tables = new Map<string, TableState>();
  private readonly swept: Promise<void>;
  private closed = false;

  constructor(private readonly main: Knex) {
    this.swept = sweepPgStages(main).then(() => undefined, () => undefined);
  }

  add(def: TableDef, lines: Uint8Array): Promise<void> {
    const state = this.state(def);
    if (state.ended || this.closed) {
      state.failed ??= new Error(`lines of ${def.name} after its end`);
      return Promise.resolve();
    }
    if (!state.copy) return state.failed === undefined ? state.ready.then(() => this.add(def, lines)) : Promise.resolve();
    if (state.failed !== undefined) return Promise.resolve();
    return state.copy.write(lines) ? Promise.resolve() : drained(state.copy);
  }

  end(table: string): void {
    const state = this.tables.get(table);
    if (!state || state.ended) return;
    state.ended = this.finish(state);
  }

  /** The finished stage table, once its indexes are built; undefined when the lines must be loaded. */
  async taken(table: string): Promise<PgStagedTable | undefined> {
    if (this.closed) return undefined;
    return this.tables.get(table)?.ended;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.tables.values()) {
      if (!state.ended) {
        state.failed ??= new Error('the stage closed before the table ended');
        state.ended = this.finish(state);
      }
      await state.ended;
    }
    await this.swept;
    // A table renamed into the real one's place by a commit is no longer there under its stage name.
    for (const state of this.tables.values()) {
      if (state.staged) await this.main.raw(`drop table if exists "${state.staged.schema}"."${state.staged.stageTable}"`).catch(() => undefined);
    }
  }

  private state(def: TableDef): TableState {
    let state = this.tables.get(def.name);
    if (!state) {
      const created = { def } as TableState & { ready: Promise<void> };
      created.ready = this.prepare(created).catch((error) => void (created.failed ??= error));
      state = created;
      this.tables.set(def.name, state);
    }
    return state;
  }

  /** Reads what the real table is made of, creates the stage table and starts its COPY. */
  private async prepare(state: TableState): Promise<void> {
    await this.swept;
    const def = state.def;
    const conn = (await this.main.client.acquireConnection()) as PgConnection;
    state.conn = conn;
    const real = `"${def.name}"`;
    const schema = await fitSchema(conn, real);
    if (schema === undefined) throw new Error(`${def.name} cannot be replaced by a stage table`);
    const stageTable = `${this.run}${def.name}`.slice(0, 63);
    const { rows } = await conn.query(INDEXES, [real]);
    const indexes = rows.map((row, i): StagedIndex => {
      const text = String(row.def);
      const head = String(row.head);
      if (!text.startsWith(head)) throw new Error(`the index ${String(row.index)} is not built the way the stage rebuilds indexes`);
      const stageName = `${this.run}${i}_${def.name}`.slice(0, 63);
      const constraint = row.contype === 'p' ? 'primary key' : row.contype === 'u' ? 'unique' : null;
      return {
        name: String(row.constraint ?? row.index),
        stageName,
        constraint,
        createStage: `${text.startsWith('CREATE UNIQUE') ? 'CREATE UNIQUE' : 'CREATE'} INDEX "${stageName}" ON "${schema}"."${stageTable}" ${text.slice(head.length)}`,
      };
    });
    await conn.query(`create table "${schema}"."${stageTable}" (like "${schema}".${real} including defaults including constraints including storage including comments)`);
    state.staged = { schema, stageTable, indexes };
    const columns = def.columns.map((c) => `"${c.name}"`).join(', ');
    const copy = conn.query(copyFrom(`COPY "${schema}"."${stageTable}" (${columns}) FROM STDIN`, { highWaterMark: COPY_BUFFER_BYTES }));
    copy.on('error', (error: unknown) => {
      state.failed ??= error;
      state.copyFailed = true;
    });
    state.copyDone = new Promise((resolve) => {
      for (const event of ['finish', 'error', 'close']) copy.once(event, () => resolve());
    });
    state.copy = copy as TableState['copy'];
  }

  /** Ends the table's COPY and builds its indexes; undefined (and nothing kept) on any failure. */
  private async finish(state: TableState): Promise<PgStagedTable | undefined> {
    try {
      await state.ready;
      const { copy, conn, staged } = state;
      if (state.failed !== undefined || !copy || !conn || !staged) throw state.failed ?? new Error('not staged');
      copy.end();
      await state.copyDone;
      if (state.failed !== undefined) throw state.failed;
      await conn.query('begin');
      try {
        await raiseIndexBuildMemory(conn);
        for (const index of staged.indexes) await conn.query(index.createStage);
        await conn.query('commit');
      } catch (error) {
        await conn.query('rollback').catch(() => undefined);
        throw error;
      }
      return { ...staged, rows: copy.rowCount };
    } catch (error) {
      state.failed ??= error;
      // A COPY still running is cancelled (CopyFail); its connection is free once the server answered.
      if (state.copy && !state.copyFailed && !state.copy.writableFinished) {
        try {
          state.copy.destroy();
        } catch {
          // already over
        }
      }
      return undefined;
    } finally {
      if (state.conn) {
        await state.copyDone;
        this.main.client.releaseConnection(state.conn);
        state.conn = undefined;
      }
    }
  }
}

/** Drops the stage tables of restores that crashed (no restore runs: the caller holds the global lock); returns how many. */
export async function sweepPgStages(main: Knex): Promise<number> {
  const { rows } = (await main.raw(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and c.relname like '${STAGE_PREFIX.replace(/_/g, '\\_')}%' and pg_get_userbyid(c.relowner) = current_user`,
  )) as { rows: { schema: string; name: string }[] };
  for (const row of rows) await main.raw(`drop table if exists "${row.schema}"."${row.name}"`);
  return rows.length;
}

/**
 * In the commit's transaction: the real table (emptied by the caller) dropped and the stage table
 * renamed into its place, indexes and constraints named as they were, the real table's foreign
 * keys added back, each checked against the rows (a dangling reference fails the transaction, as
 * the COPY's own check would). False, with nothing changed, when the real table is no longer fit
 * for it (rows left, as in a selective restore; something new depending on it): then the caller
 * loads the lines.
 */
export async function swapInStaged(conn: PgConnection, def: TableDef, staged: PgStagedTable): Promise<boolean> {
  const real = `"${def.name}"`;
  const stage = `"${staged.schema}"."${staged.stageTable}"`;
  const { rows: [probe] } = await conn.query(`select exists (select 1 from ${real}) as has_rows, (select count(*) from ${stage}) as staged_rows`);
  if (probe.has_rows || Number(probe.staged_rows) !== staged.rows || (await fitSchema(conn, real)) !== staged.schema) return false;
  const { rows: foreignKeys } = await conn.query(FOREIGN_KEYS, [real]);
  await conn.query(`drop table "${staged.schema}".${real}`);
  await conn.query(`alter table ${stage} rename to ${real}`);
  for (const index of staged.indexes) {
    await conn.query(index.constraint
      ? `alter table "${staged.schema}".${real} add constraint "${index.name}" ${index.constraint} using index "${index.stageName}"`
      : `alter index "${staged.schema}"."${index.stageName}" rename to "${index.name}"`);
  }
  for (const fk of foreignKeys) await conn.query(`alter table "${staged.schema}".${real} add constraint "${String(fk.conname)}" ${String(fk.def)}`);
  return true;
}

/** The real table's schema when a stage table may replace it (see UNFIT), else undefined. */
async function fitSchema(conn: PgConnection, real: string): Promise<string | undefined> {
  const { rows: [fit] } = await conn.query(UNFIT, [real]);
  return fit && fit.unfit === false ? String(fit.schema) : undefined;
}

function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}
