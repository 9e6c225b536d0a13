/**
 * Databases "created by Aviary" for tests: GORM's DDL for Aviary's models (upgraded layout by
 * default) filled by the seed generator, on SQLite or PostgreSQL, plus a description of their
 * schema to prove the service leaves Aviary's tables as they were.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKnex, type AviaryDbTarget } from '../../scripts/aviary-db/connection';
import { generateAviaryDatabase, type AviaryDbCounts, type GenerateResult } from '../../scripts/aviary-db/generate';
import { AVIARY_GORM_MODELS, type GormLayout } from '../../scripts/aviary-db/gorm-schema';
import type { DatabaseKind } from './backends';
import { createTestDatabase, pgConnection } from './postgres';

export interface GormDatabase {
  readonly target: AviaryDbTarget;
  /** DB_* variables that point the service at this database. */
  readonly env: Record<string, string>;
  readonly generated: GenerateResult;
  drop(): Promise<void>;
}

/** A few hundred rows with every NULL pattern of an upgraded install. */
export const SMALL_COUNTS: AviaryDbCounts = {
  users: 26,
  api_keys: 40,
  user_sessions: 60,
  user_folders_cache: 40,
  documents: 200,
  login_attempts: 300,
};

export async function createGormDatabase(
  kind: DatabaseKind,
  options: { counts?: AviaryDbCounts; layout?: GormLayout; seed?: string; now?: Date } = {},
): Promise<GormDatabase> {
  const empty = await emptyDatabase(kind);
  const db = openKnex(empty.target);
  try {
    const generated = await generateAviaryDatabase(db, kind, {
      counts: options.counts ?? SMALL_COUNTS,
      layout: options.layout ?? 'upgraded',
      seed: options.seed,
      now: options.now,
      bcryptCost: 4,
    });
    return { ...empty, generated };
  } catch (error) {
    await empty.drop();
    throw error;
  } finally {
    await db.destroy();
  }
}

/** An empty SQLite file or PostgreSQL database (no tables at all). */
export async function emptyDatabase(kind: DatabaseKind): Promise<Omit<GormDatabase, 'generated'>> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'aviary-gorm-'));
    const path = join(dir, 'aviary.db');
    return { target: { kind, path }, env: { DB_TYPE: 'sqlite', DB_PATH: path }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const database = await createTestDatabase();
  const c = pgConnection();
  return {
    target: { kind, host: c.host, port: c.port, user: c.user, password: c.password, database: database.name },
    env: { DB_TYPE: 'postgres', DB_HOST: c.host, DB_PORT: String(c.port), DB_USER: c.user, DB_PASSWORD: c.password, DB_NAME: database.name },
    drop: database.drop,
  };
}

export interface SchemaDescription {
  /** table → its columns as the engine reports them (name, declared type, nullability, default). */
  readonly columns: Record<string, string[]>;
  /** table → its indexes and constraints (name and definition). */
  readonly indexes: Record<string, string[]>;
  readonly tables: string[];
}

/** What the engine says about every table, and in detail about the tables Aviary's models create. */
export async function describeSchema(target: AviaryDbTarget): Promise<SchemaDescription> {
  const db = openKnex(target);
  const aviary = AVIARY_GORM_MODELS.map((m) => m.table);
  const columns: Record<string, string[]> = {};
  const indexes: Record<string, string[]> = {};
  try {
    if (target.kind === 'sqlite') {
      const tables = ((await db.raw(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`)) as { name: string }[]).map((t) => t.name);
      for (const table of aviary) {
        const info = (await db.raw(`pragma table_info("${table}")`)) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
        columns[table] = info.map((c) => `${c.name} ${c.type}${c.notnull ? ' not null' : ''}${c.pk ? ' pk' : ''} default=${c.dflt_value}`);
        const idx = (await db.raw(`select name, sql from sqlite_master where type = 'index' and tbl_name = ? order by name`, [table])) as { name: string; sql: string | null }[];
        const fks = (await db.raw(`pragma foreign_key_list("${table}")`)) as { table: string; from: string; on_delete: string }[];
        indexes[table] = [...idx.map((i) => `${i.name}: ${i.sql}`), ...fks.map((f) => `fk ${f.from} → ${f.table} on delete ${f.on_delete}`)];
      }
      return { columns, indexes, tables };
    }
    const tables = ((await db.raw(`select table_name from information_schema.tables where table_schema = current_schema() order by table_name`)) as {
      rows: { table_name: string }[];
    }).rows.map((t) => t.table_name);
    for (const table of aviary) {
      const info = (await db.raw(
        `select column_name, data_type, character_maximum_length, numeric_precision, is_nullable, column_default
           from information_schema.columns where table_schema = current_schema() and table_name = ? order by ordinal_position`,
        [table],
      )) as { rows: Record<string, string | null>[] };
      columns[table] = info.rows.map(
        (c) => `${c.column_name} ${c.data_type}(${c.character_maximum_length ?? c.numeric_precision ?? ''}) nullable=${c.is_nullable} default=${c.column_default}`,
      );
      const idx = (await db.raw(`select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = ? order by indexname`, [table])) as {
        rows: { indexname: string; indexdef: string }[];
      };
      const cons = (await db.raw(
        `select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = ?::regclass order by conname`,
        [table],
      )) as { rows: { conname: string; def: string }[] };
      indexes[table] = [...idx.rows.map((i) => `${i.indexname}: ${i.indexdef}`), ...cons.rows.map((c) => `${c.conname}: ${c.def}`)];
    }
    return { columns, indexes, tables };
  } finally {
    await db.destroy();
  }
}
