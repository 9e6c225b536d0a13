import { ArchiveValue, ColumnDef } from './column';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$/;

/** Already canonical: UTC `Z`, no trailing zero in the fraction, a day that exists in every month. */
const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{0,8}[1-9])?Z$/;

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
  if (CANONICAL.test(text)) return text;
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

export function isZeroTime(canonical: string): boolean {
  return canonical.startsWith('0001-01-01T00:00:00');
}

export function nowTime(now: Date = new Date()): string {
  return now.toISOString();
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

export type CoerceResult = { ok: true; value: ArchiveValue } | { ok: false; problem: string };

/**
 * Turns a JSON value from an archive (or a database driver) into the column's canonical archive
 * value, or says why it cannot. Absent values should be filled from `columnDefault` first.
 */
export function coerceValue(col: ColumnDef, value: unknown): CoerceResult {
  if (value === null || value === undefined) {
    if (col.nullable) return { ok: true, value: null };
    if (col.notNull) return { ok: false, problem: `${col.name} must not be null` };
    return { ok: true, value: zeroValue(col) };
  }
  switch (col.type) {
    case 'uuid':
      if (typeof value === 'string' && isUuid(value)) return { ok: true, value: value.toLowerCase() };
      return { ok: false, problem: `${col.name} must be a UUID` };
    case 'string':
    case 'text':
      if (typeof value !== 'string') return { ok: false, problem: `${col.name} must be a string` };
      if (col.length !== undefined && [...value].length > col.length) {
        return { ok: false, problem: `${col.name} is longer than ${col.length} characters` };
      }
      return { ok: true, value };
    case 'int':
    case 'bigint': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return { ok: true, value: n };
      return { ok: false, problem: `${col.name} must be an integer` };
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n === 'number' && Number.isFinite(n)) return { ok: true, value: n };
      return { ok: false, problem: `${col.name} must be a number` };
    }
    case 'bool':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 0 || value === 1) return { ok: true, value: value === 1 };
      return { ok: false, problem: `${col.name} must be a boolean` };
    case 'time': {
      const text = value instanceof Date ? value.toISOString() : value;
      if (typeof text !== 'string') return { ok: false, problem: `${col.name} must be an RFC 3339 time` };
      const t = canonicalTime(text);
      if (t === null) return { ok: false, problem: `${col.name} must be an RFC 3339 time` };
      if (col.nullable && isZeroTime(t)) return { ok: true, value: null };
      return { ok: true, value: t };
    }
  }
}

export function columnDefault(col: ColumnDef, now: Date = new Date()): ArchiveValue {
  if (col.default === 'now') return nowTime(now);
  if (col.default !== undefined) return col.default;
  return null;
}
