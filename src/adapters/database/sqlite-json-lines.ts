import type { ColumnDef, TableDef } from '../../domain/schema/column';

/**
 * SQLite writes a table file's lines itself: one SQL expression per table turns a row into the exact
 * line `rowEncoder` (domain/archive/table-json) writes for it after `decodeRowInPlace`, so the
 * backup of a large SQLite database creates no JS object per row (the driver's row objects, the
 * decoded values and the encoded strings were most of its CPU time).
 *
 * The expression covers only the forms it can prove canonical: any other value (a REAL with a
 * fraction, an upper-case UUID, a time in an unusual layout, a NULL in a NOT NULL column…) makes
 * the whole line NULL, and the caller encodes that page through the row path instead. So every
 * rule here is a subset of `canonicalValue`, never a second reading of it.
 */

const DIGIT = '[0-9]';
const HEX = '[0-9a-fA-F]';
const UUID_GLOB = [8, 4, 4, 4, 12].map((n) => HEX.repeat(n)).join('-');
/** For LIKE (a GLOB's `?` would be taken for a bound parameter by the query builder). */
const UUID_SHAPE = [8, 4, 4, 4, 12].map((n) => '_'.repeat(n)).join('-');
/** YYYY-MM-DD[ T]HH:MM:SS, anything after (checked separately). */
const TIME_GLOB = `${DIGIT.repeat(4)}-${DIGIT.repeat(2)}-${DIGIT.repeat(2)}[ T]${DIGIT.repeat(2)}:[0-5]${DIGIT}:[0-5]${DIGIT}*`;
const MAX_SAFE = '9007199254740991';
const GO_ZERO_TIME = '"0001-01-01T00:00:00Z"';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** What the connection's SQLite offers beyond the functions every supported version has. */
export interface SqliteFeatures {
  /** `unhex(X, Y)` (SQLite 3.41): a UUID is checked by decoding it instead of by a 32-class GLOB. */
  readonly unhex: boolean;
}

const caches = { plain: new WeakMap<TableDef, string>(), unhex: new WeakMap<TableDef, string>() };

/** Whether a `sqlite_version()` has `unhex` (3.41.0 and later). */
export function sqliteFeatures(version: string): SqliteFeatures {
  const [major, minor] = version.split('.').map(Number);
  return { unhex: major > 3 || (major === 3 && minor >= 41) };
}

/** The SQL expression of one row's JSON line (an object with the columns in schema order), or NULL. */
export function sqliteJsonLine(def: TableDef, features: SqliteFeatures = { unhex: false }): string {
  const cache = features.unhex ? caches.unhex : caches.plain;
  let sql = cache.get(def);
  if (sql === undefined) {
    const parts = def.columns.map((col, i) => `${quoteText((i === 0 ? '{' : ',') + JSON.stringify(col.name) + ':')} || ${valueSql(col, features)}`);
    sql = parts.length === 0 ? `'{}'` : `${parts.join(' || ')} || '}'`;
    cache.set(def, sql);
  }
  return sql;
}

/**
 * An 8-4-4-4-12 UUID of hex digits in either case. With `unhex`: the four dashes where they belong
 * (a LIKE of `_`, cheap), and the rest 32 hex digits — unhex ignores dashes between digit pairs,
 * so a dash anywhere else leaves fewer than 16 bytes, and any other character makes it NULL. A
 * third of the GLOB's time, and UUID columns are most of a backup's columns.
 */
function uuidTest(x: string, features: SqliteFeatures): string {
  return features.unhex ? `${x} LIKE '${UUID_SHAPE}' AND length(unhex(${x}, '-')) = 16` : `${x} GLOB '${UUID_GLOB}'`;
}

/** What a NULL reads as (`canonicalValue`): null, the type's zero value, or nothing (NOT NULL: the row path reports it). */
function nullJson(col: ColumnDef): string {
  if (col.nullable) return `'null'`;
  if (col.notNull) return 'NULL';
  switch (col.type) {
    case 'string':
    case 'text':
      return `'""'`;
    case 'int':
    case 'bigint':
    case 'float':
      return `'0'`;
    case 'bool':
      return `'false'`;
    case 'time':
      return quoteText(GO_ZERO_TIME);
    case 'uuid':
      return quoteText('"00000000-0000-0000-0000-000000000000"');
  }
}

function valueSql(col: ColumnDef, features: SqliteFeatures): string {
  const x = quoteIdent(col.name);
  const whenNull = `WHEN ${x} IS NULL THEN ${nullJson(col)}`;
  switch (col.type) {
    case 'uuid':
      return `CASE WHEN typeof(${x}) = 'text' AND ${uuidTest(x, features)} THEN '"' || lower(${x}) || '"' ${whenNull} END`;
    case 'string':
    case 'text': {
      // length() counts characters (code points) of valid UTF-8, as the limit does; invalid UTF-8 is caught by the caller.
      const fits = col.length === undefined ? '' : ` AND length(${x}) <= ${col.length}`;
      return `CASE WHEN typeof(${x}) = 'text'${fits} THEN json_quote(${x}) ${whenNull} END`;
    }
    case 'int':
    case 'bigint':
    case 'float':
      // Integers print the same digits in SQLite and JS, and so does a whole REAL as an integer (a
      // real column's 300.0, or -0.0, which JS prints as 0); other REALs go the row path (JS prints
      // the shortest text that reads back the same double, SQLite does not).
      return [
        `CASE WHEN typeof(${x}) = 'integer' AND ${x} BETWEEN -${MAX_SAFE} AND ${MAX_SAFE} THEN ${x}`,
        `WHEN typeof(${x}) = 'real' AND ${x} BETWEEN -${MAX_SAFE} AND ${MAX_SAFE} AND ${x} = CAST(${x} AS INTEGER) THEN CAST(${x} AS INTEGER)`,
        `${whenNull} END`,
      ].join(' ');
    case 'bool':
      return `CASE WHEN typeof(${x}) = 'integer' AND ${x} IN (0, 1) THEN CASE ${x} WHEN 1 THEN 'true' ELSE 'false' END ${whenNull} END`;
    case 'time':
      return timeSql(col, x, whenNull);
  }
}

/**
 * `YYYY-MM-DD[ T]HH:MM:SS[.f{1,9}]` then `Z` or `±HH:MM` (what Aviary's drivers and this service
 * write), years 1000–9998, a date that exists: moved to UTC (by SQLite's calendar when the offset is
 * not zero), the fraction kept to its last non-zero digit. Go's zero time as Aviary writes it is
 * null in a nullable column. Anything else goes the row path.
 */
function timeSql(col: ColumnDef, x: string, whenNull: string): string {
  const length = `length(${x})`;
  const branch = (zoneLength: number, zoneTest: string) => {
    const fraction = `substr(${x}, 20, ${length} - ${19 + zoneLength})`;
    const valid = [
      zoneTest,
      `${x} GLOB '${TIME_GLOB}'`,
      `substr(${x}, 1, 4) BETWEEN '1000' AND '9998'`,
      `substr(${x}, 6, 2) BETWEEN '01' AND '12'`,
      `substr(${x}, 12, 2) <= '23'`,
      `(${length} = ${19 + zoneLength} OR (substr(${x}, 20, 1) = '.' AND ${length} BETWEEN ${21 + zoneLength} AND ${29 + zoneLength}` +
        ` AND NOT substr(${x}, 21, ${length} - ${20 + zoneLength}) GLOB '*[^0-9]*'))`,
      // date() alone repeats a day that does not exist ('2023-02-29'); a modifier sends it through the calendar.
      `(substr(${x}, 9, 2) BETWEEN '01' AND '28' OR date(substr(${x}, 1, 10), '+0 days') = substr(${x}, 1, 10))`,
    ].join(' AND ');
    const plain = `substr(${x}, 1, 10) || 'T' || substr(${x}, 12, 8)`;
    const utc =
      zoneLength === 1
        ? plain
        : `CASE WHEN substr(${x}, -5) = '00:00' THEN ${plain} ELSE strftime('%Y-%m-%dT%H:%M:%S', substr(${x}, 1, 19) || substr(${x}, -6)) END`;
    return `WHEN ${valid} THEN '"' || ${utc} || rtrim(rtrim(${fraction}, '0'), '.') || 'Z"'`;
  };
  const zero = `WHEN ${x} IN ('0001-01-01 00:00:00+00:00', '0001-01-01T00:00:00Z') THEN ${col.nullable ? `'null'` : quoteText(GO_ZERO_TIME)}`;
  return [
    `CASE WHEN typeof(${x}) <> 'text' THEN CASE ${whenNull} END`,
    branch(6, `substr(${x}, -6, 1) IN ('+', '-') AND substr(${x}, -3, 1) = ':'`),
    branch(1, `substr(${x}, -1) = 'Z'`),
    zero,
    'END',
  ].join(' ');
}
