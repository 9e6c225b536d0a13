import { ArchiveValue, ColumnDef } from './column';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$/;

/** Go's zero time, which Aviary writes for an unset non-pointer time. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * What Aviary (Go) reads for NULL in a non-pointer field it declares without `not null`: the zero
 * value of the field's type. Upgraded installs hold such NULLs in every column a later release added.
 */
export function zeroValue(col: ColumnDef): ArchiveValue {
  switch (col.type) {
    case 'string':
    case 'text':
      return '';
    case 'int':
    case 'bigint':
    case 'float':
      return 0;
    case 'bool':
      return false;
    case 'time':
      return GO_ZERO_TIME;
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
  }
}

/**
 * Canonical archive form of a time: RFC 3339 in UTC, fractional seconds kept to the digit
 * (up to nanoseconds, trailing zeros dropped). Returns null when the text is not a time.
 */
export function canonicalTime(text: string): string | null {
  // Most values are already canonical (this service writes them so): skip the date arithmetic.
  if (isCanonicalTime(text)) return text;
  const fixed = fixedLayoutTime(text);
  if (fixed !== undefined) return fixed;
  const m = RFC3339.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
  const year = Number(y);
  let ms: number;
  if (year >= 100) ms = Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi) - offsetMinutes, Number(s));
  else {
    // Date.UTC reads years 0–99 as 1900–1999, and Go's zero time is year 1.
    const date = new Date(0);
    date.setUTCFullYear(year, Number(mo) - 1, Number(d));
    date.setUTCHours(Number(h), Number(mi) - offsetMinutes, Number(s), 0);
    ms = date.getTime();
  }
  if (Number.isNaN(ms)) return null;
  const iso = new Date(ms).toISOString();
  const base = iso.startsWith('+') || iso.startsWith('-') ? null : iso.slice(0, 19);
  if (base === null) return null;
  const fraction = frac.replace(/0+$/, '');
  return `${base}${fraction ? '.' + fraction : ''}Z`;
}

const digitAt = (text: string, i: number) => text.charCodeAt(i) - 48;
const twoDigits = (text: string, i: number) => {
  const a = digitAt(text, i);
  const b = digitAt(text, i + 1);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};
const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** Days of a month of the proleptic Gregorian calendar (JavaScript's Date), for years 0–9999. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * Already canonical: `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` in UTC, no trailing zero in the fraction, a
 * day its month has (the general parser rolls 31 April over to 1 May). Char codes rather than a
 * regex: every time of a restore comes here.
 */
function isCanonicalTime(text: string): boolean {
  const n = text.length;
  if (n !== 20 && (n < 22 || n > 30)) return false;
  if (text.charCodeAt(n - 1) !== 0x5a || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return false;
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  if (century < 0 || yearOfCentury < 0) return false;
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(century * 100 + yearOfCentury, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (n === 20) return true;
  if (text[19] !== '.' || text[n - 2] === '0') return false;
  for (let i = 20; i < n - 1; i++) {
    const digit = digitAt(text, i);
    if (digit < 0 || digit > 9) return false;
  }
  return true;
}

/**
 * The layout drivers and GORM's SQLite rows use (`YYYY-MM-DD HH:MM:SS.ffffff±HH:MM` or `…Z`), when
 * moving it to UTC stays inside the month: plain digit arithmetic, no Date. Undefined means "not
 * this simple case", and the general parser decides.
 */
function fixedLayoutTime(text: string): string | undefined {
  const n = text.length;
  if (n < 20 || text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return undefined;
  if (text[10] !== 'T' && text[10] !== ' ') return undefined;
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  // Each half checked on its own: 20 and -1 (not digits) would make 1999.
  const year = century < 0 || yearOfCentury < 0 ? -1 : century * 100 + yearOfCentury;
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let end = 19;
  let fractionEnd = 19;
  if (text[19] === '.') {
    end = 20;
    while (end < n && end < 29 && digitAt(text, end) >= 0 && digitAt(text, end) <= 9) end++;
    if (end === 20) return undefined;
    fractionEnd = end;
    while (fractionEnd > 20 && text[fractionEnd - 1] === '0') fractionEnd--;
    if (fractionEnd === 20) fractionEnd = 19;
  }
  let offset: number;
  if (end === n - 1 && (text[end] === 'Z' || text[end] === 'z')) offset = 0;
  else if (end === n - 6 && (text[end] === '+' || text[end] === '-') && text[end + 3] === ':') {
    const h = twoDigits(text, end + 1);
    const m = twoDigits(text, end + 4);
    if (h < 0 || m < 0) return undefined;
    offset = (text[end] === '-' ? -1 : 1) * (h * 60 + m);
  } else return undefined;
  let minutes = hour * 60 + minute - offset;
  let dayOfMonth = day;
  while (minutes < 0) (minutes += 1440), dayOfMonth--;
  while (minutes >= 1440) (minutes -= 1440), dayOfMonth++;
  if (dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) return undefined;
  const date = dayOfMonth === day ? text.slice(0, 8) + text.slice(8, 10) : text.slice(0, 8) + pad2(dayOfMonth);
  const fraction = fractionEnd > 19 ? text.slice(19, fractionEnd) : '';
  return `${date}T${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}:${text.slice(17, 19)}${fraction}Z`;
}

export function isZeroTime(canonical: string): boolean {
  return canonical.startsWith('0001-01-01T00:00:00');
}

export function nowTime(now: Date = new Date()): string {
  return now.toISOString();
}

/** What `uuidShape` finds. */
const NOT_UUID = 0;
const LOWER_UUID = 1;
const MIXED_CASE_UUID = 2;

/** Per ASCII character: HEX for a digit or a-f, HEX | UPPER for A-F, 0 for anything else. */
const HEX = 1;
const UPPER = 2;
const HEX_CHAR = new Uint8Array(128);
for (const c of '0123456789abcdef') HEX_CHAR[c.charCodeAt(0)] = HEX;
for (const c of 'ABCDEF') HEX_CHAR[c.charCodeAt(0)] = HEX | UPPER;

/**
 * 8-4-4-4-12 hex digits, by char codes and a table: a regex test and a `toLowerCase` per value
 * were a tenth of a restore's read pass, which checks a UUID or two in every row. With the four
 * dashes in place, 32 hex digits among the 36 characters means every other one is a digit.
 */
function uuidShape(text: string): number {
  if (text.length !== 36 || text.charCodeAt(8) !== 0x2d || text.charCodeAt(13) !== 0x2d || text.charCodeAt(18) !== 0x2d || text.charCodeAt(23) !== 0x2d) return NOT_UUID;
  let digits = 0;
  let kinds = 0;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? HEX_CHAR[c] : 0;
    digits += kind & HEX;
    kinds |= kind;
  }
  if (digits !== 32) return NOT_UUID;
  return (kinds & UPPER) !== 0 ? MIXED_CASE_UUID : LOWER_UUID;
}

export function isUuid(text: string): boolean {
  return uuidShape(text) !== NOT_UUID;
}

/** The UUID in lower case (the archive's form), or null when `value` is not a UUID. */
function lowerUuid(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const shape = uuidShape(value);
  return shape === LOWER_UUID ? value : shape === MIXED_CASE_UUID ? value.toLowerCase() : null;
}

export type CoerceResult = { ok: true; value: ArchiveValue } | { ok: false; problem: string };

/** What `canonicalValue` answers for a value its column cannot hold. */
export const NOT_CANONICAL: unique symbol = Symbol('not canonical');

/**
 * Turns a JSON value from an archive (or a database driver) into the column's canonical archive
 * value, or says why it cannot. Absent values should be filled from `columnDefault` first.
 */
export function coerceValue(col: ColumnDef, value: unknown): CoerceResult {
  const canonical = canonicalValue(col, value);
  return canonical === NOT_CANONICAL ? { ok: false, problem: problemWith(col, value) } : { ok: true, value: canonical };
}

/**
 * `coerceValue` without the result object, for the per-row paths of backup and restore (millions
 * of values): the canonical value, or NOT_CANONICAL (then `coerceValue` says why).
 */
export function canonicalValue(col: ColumnDef, value: unknown): ArchiveValue | typeof NOT_CANONICAL {
  if (value === null || value === undefined) {
    if (col.nullable) return null;
    return col.notNull ? NOT_CANONICAL : zeroValue(col);
  }
  switch (col.type) {
    case 'uuid':
      return lowerUuid(value) ?? NOT_CANONICAL;
    case 'string':
    case 'text':
      if (typeof value !== 'string') return NOT_CANONICAL;
      // Characters are code points: count them only when UTF-16 units could exceed the limit.
      if (col.length !== undefined && value.length > col.length && [...value].length > col.length) return NOT_CANONICAL;
      return value;
    case 'int':
    case 'bigint': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isSafeInteger(n) ? n : NOT_CANONICAL;
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : NOT_CANONICAL;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      return value === 0 || value === 1 ? value === 1 : NOT_CANONICAL;
    case 'time': {
      const text = value instanceof Date ? value.toISOString() : value;
      const t = typeof text === 'string' ? canonicalTime(text) : null;
      if (t === null) return NOT_CANONICAL;
      return col.nullable && isZeroTime(t) ? null : t;
    }
  }
}

/** Why `canonicalValue` refused a value. */
function problemWith(col: ColumnDef, value: unknown): string {
  if (value === null || value === undefined) return `${col.name} must not be null`;
  switch (col.type) {
    case 'uuid':
      return `${col.name} must be a UUID`;
    case 'string':
    case 'text':
      return typeof value === 'string' ? `${col.name} is longer than ${col.length} characters` : `${col.name} must be a string`;
    case 'int':
    case 'bigint':
      return `${col.name} must be an integer`;
    case 'float':
      return `${col.name} must be a number`;
    case 'bool':
      return `${col.name} must be a boolean`;
    case 'time':
      return `${col.name} must be an RFC 3339 time`;
  }
}

export function columnDefault(col: ColumnDef, now: Date = new Date()): ArchiveValue {
  if (col.default === 'now') return nowTime(now);
  if (col.default !== undefined) return col.default;
  return null;
}
