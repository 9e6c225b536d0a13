import type { Knex } from '@mikro-orm/knex';
import { describeTarget, openKnex, type AviaryDbTarget } from './connection';
import { EXPORTED_TABLES, gormModel, type GoField } from './gorm-schema';

/**
 * Compares the seven exported tables of two Aviary databases (any engines) row by row and column
 * by column, streaming both in primary-key order. Values are compared as Aviary's Go model reads
 * them, written here independently of the service's own codec:
 * - NULL in a non-pointer column is Go's zero value ("" / 0 / false / 0001-01-01T00:00:00Z);
 *   a pointer column keeps NULL; users.reset_token_expires treats NULL and the zero time alike.
 * - NULL in a `not null` column is a difference in itself (it cannot be read).
 * - Times are compared as instants at microsecond precision (what timestamptz keeps).
 * - Columns outside the current model (e.g. ones an old release left behind) are not compared.
 */

export interface ColumnDifference {
  readonly table: string;
  readonly key: string;
  readonly column: string;
  readonly a: unknown;
  readonly b: unknown;
}

export interface TableComparison {
  readonly table: string;
  rowsA: number;
  rowsB: number;
  equal: number;
  different: number;
  onlyInA: number;
  onlyInB: number;
  readonly examples: ColumnDifference[];
}

export interface ComparisonReport {
  readonly a: string;
  readonly b: string;
  readonly tables: TableComparison[];
  readonly identical: boolean;
  readonly elapsedMs: number;
}

const PAGE = 5000;
const EXAMPLES = 10;
const ZERO_IS_NULL = new Set(['users.reset_token_expires']);
const ZERO_TIME_MICROS = civilMicros(1, 1, 1, 0, 0, 0, '', 0);

type Value = string | number | boolean | null;

export async function compareAviaryDatabases(a: AviaryDbTarget, b: AviaryDbTarget, tables: readonly string[] = EXPORTED_TABLES): Promise<ComparisonReport> {
  const started = Date.now();
  const dbA = openKnex(a);
  const dbB = openKnex(b);
  try {
    const results: TableComparison[] = [];
    for (const table of tables) results.push(await compareTable(table, dbA, a, dbB, b));
    const identical = results.every((t) => t.different === 0 && t.onlyInA === 0 && t.onlyInB === 0);
    return { a: describeTarget(a), b: describeTarget(b), tables: results, identical, elapsedMs: Date.now() - started };
  } finally {
    await dbA.destroy();
    await dbB.destroy();
  }
}

async function compareTable(table: string, dbA: Knex, a: AviaryDbTarget, dbB: Knex, b: AviaryDbTarget): Promise<TableComparison> {
  const model = gormModel(table);
  const pk = model.fields.find((f) => f.tag?.primaryKey)!;
  const result: TableComparison = { table, rowsA: 0, rowsB: 0, equal: 0, different: 0, onlyInA: 0, onlyInB: 0, examples: [] };
  const note = (d: ColumnDifference) => {
    if (result.examples.length < EXAMPLES) result.examples.push(d);
  };
  const left = rows(dbA, a, table, model.fields, pk.column)[Symbol.asyncIterator]();
  const right = rows(dbB, b, table, model.fields, pk.column)[Symbol.asyncIterator]();
  let x = await left.next();
  let y = await right.next();
  while (!x.done || !y.done) {
    const keyA = x.done ? null : keyOf(x.value[pk.column]);
    const keyB = y.done ? null : keyOf(y.value[pk.column]);
    if (keyB === null || (keyA !== null && keyA < keyB)) {
      result.rowsA++;
      result.onlyInA++;
      note({ table, key: keyA!, column: '(row)', a: 'present', b: 'missing' });
      x = await left.next();
      continue;
    }
    if (keyA === null || keyB < keyA) {
      result.rowsB++;
      result.onlyInB++;
      note({ table, key: keyB, column: '(row)', a: 'missing', b: 'present' });
      y = await right.next();
      continue;
    }
    result.rowsA++;
    result.rowsB++;
    let same = true;
    for (const field of model.fields) {
      const va = readAs(table, field, x.value![field.column]);
      const vb = readAs(table, field, y.value![field.column]);
      if (va.ok && vb.ok && va.value === vb.value) continue;
      same = false;
      note({ table, key: keyA, column: field.column, a: va.ok ? va.value : va.problem, b: vb.ok ? vb.value : vb.problem });
    }
    if (same) result.equal++;
    else result.different++;
    x = await left.next();
    y = await right.next();
  }
  return result;
}

function keyOf(raw: unknown): string {
  return String(raw).toLowerCase();
}

/** Keyset pages in primary-key order, byte-wise on both engines. */
async function* rows(db: Knex, target: AviaryDbTarget, table: string, fields: readonly GoField[], pk: string): AsyncIterable<Record<string, unknown>> {
  const present = new Set(await columnsOf(db, target, table));
  const columns = fields.map((f) => f.column).filter((c) => present.has(c));
  const order = target.kind === 'postgres' && pk === 'key' ? `"${pk}" collate "C"` : `"${pk}"`;
  let after: unknown;
  for (;;) {
    const query = db(table).select(columns).orderByRaw(order).limit(PAGE);
    if (after !== undefined) query.whereRaw(`${order} > ?`, [after as Knex.Value]);
    const page = (await query) as Record<string, unknown>[];
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1][pk];
  }
}

async function columnsOf(db: Knex, target: AviaryDbTarget, table: string): Promise<string[]> {
  if (target.kind === 'sqlite') return ((await db.raw(`pragma table_info("${table}")`)) as { name: string }[]).map((c) => c.name);
  const result = await db.raw('select column_name from information_schema.columns where table_schema = current_schema() and table_name = ?', [table]);
  return (result as { rows: { column_name: string }[] }).rows.map((r) => r.column_name);
}

type Read = { ok: true; value: Value } | { ok: false; problem: string };

/** A stored value as Aviary's Go field reads it, in a comparable form. */
export function readAs(table: string, field: GoField, raw: unknown): Read {
  const pointer = field.go.startsWith('*');
  const base = field.go.replace('*', '');
  if (raw === null || raw === undefined) {
    if (field.tag?.notNull || field.tag?.primaryKey) return { ok: false, problem: 'NULL in a not-null column' };
    if (pointer || ZERO_IS_NULL.has(`${table}.${field.column}`)) return { ok: true, value: null };
    switch (base) {
      case 'string':
      case 'uuid':
        return { ok: true, value: '' };
      case 'int':
      case 'int64':
      case 'float64':
        return { ok: true, value: 0 };
      case 'bool':
        return { ok: true, value: false };
      case 'time':
        return { ok: true, value: showMicros(ZERO_TIME_MICROS) };
    }
  }
  const text = String(raw);
  switch (base) {
    case 'uuid':
      return { ok: true, value: text.toLowerCase() };
    case 'string':
      return { ok: true, value: text };
    case 'int':
    case 'int64':
      return /^-?\d+(\.0+)?$/.test(text) ? { ok: true, value: Number(text.replace(/\.0+$/, '')) } : { ok: false, problem: `not an integer: ${text}` };
    case 'float64': {
      const n = Number(text);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, problem: `not a number: ${text}` };
    }
    case 'bool':
      if (['1', 't', 'true'].includes(text.toLowerCase())) return { ok: true, value: true };
      if (['0', 'f', 'false'].includes(text.toLowerCase())) return { ok: true, value: false };
      return { ok: false, problem: `not a boolean: ${text}` };
    case 'time': {
      const micros = parseMicros(text);
      if (micros === null) return { ok: false, problem: `not a time: ${text}` };
      if ((pointer || ZERO_IS_NULL.has(`${table}.${field.column}`)) && micros === ZERO_TIME_MICROS) return { ok: true, value: null };
      return { ok: true, value: showMicros(micros) };
    }
  }
  return { ok: false, problem: `unknown Go type ${field.go}` };
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Microseconds since 0001-01-01 UTC (fraction truncated), or null. */
export function parseMicros(text: string): bigint | null {
  const m = TIME.exec(text.trim());
  if (!m) return null;
  const zone = m[8] ?? 'Z';
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  return civilMicros(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), m[7] ?? '', offset);
}

function civilMicros(y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: string, offsetMinutes: number): bigint {
  // Days since 0001-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 306;
  const seconds = BigInt(days) * 86400n + BigInt(h * 3600 + mi * 60 + s - offsetMinutes * 60);
  return seconds * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
}

const UNIX_EPOCH_MICROS = civilMicros(1970, 1, 1, 0, 0, 0, '', 0);

/** RFC 3339 UTC with six fraction digits, e.g. 2025-08-01T16:30:00.123456Z. */
function showMicros(micros: bigint): string {
  const sinceEpoch = micros - UNIX_EPOCH_MICROS;
  let ms = sinceEpoch / 1000n;
  if (sinceEpoch < 0n && sinceEpoch % 1000n !== 0n) ms -= 1n;
  const iso = new Date(Number(ms)).toISOString();
  const fraction = String(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/**
 * NULLs per `table.column` among the columns whose Go type is neither a pointer nor `not null`
 * (the ones an upgrade leaves NULL and Aviary reads as zero values). Non-zero counts only.
 */
export async function nullsInPlainColumns(target: AviaryDbTarget, tables: readonly string[] = EXPORTED_TABLES): Promise<Record<string, number>> {
  const db = openKnex(target);
  const counts: Record<string, number> = {};
  try {
    for (const table of tables) {
      const present = new Set(await columnsOf(db, target, table));
      const plain = gormModel(table).fields.filter(
        (f) => !f.go.startsWith('*') && !f.tag?.notNull && !f.tag?.primaryKey && !ZERO_IS_NULL.has(`${table}.${f.column}`) && present.has(f.column),
      );
      if (plain.length === 0) continue;
      const select = plain.map((f) => `sum(case when "${f.column}" is null then 1 else 0 end) as "${f.column}"`).join(', ');
      const result = await db.raw(`select ${select} from "${table}"`);
      const row = (target.kind === 'postgres' ? (result as { rows: Record<string, unknown>[] }).rows : (result as Record<string, unknown>[]))[0];
      for (const f of plain) {
        const n = Number(row[f.column] ?? 0);
        if (n > 0) counts[`${table}.${f.column}`] = n;
      }
    }
    return counts;
  } finally {
    await db.destroy();
  }
}
