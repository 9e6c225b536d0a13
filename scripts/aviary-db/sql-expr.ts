import type { GormDialect } from './gorm-schema';

/**
 * SQL expressions over a row number `n` that both engines evaluate to the same values, so rows
 * are generated inside the database (no per-row round trip) and stay FK-consistent: a user's id
 * is a function of its number, and children compute their parent's id the same way.
 */
export class RowSql {
  constructor(readonly dialect: GormDialect) {}

  /**
   * A 32-bit mix of `expr` (up to a few million) and `salt`: two multiplicative rounds, every
   * intermediate below 2^53, so SQLite's and PostgreSQL's 64-bit integers agree exactly.
   */
  hash(expr: string, salt: number): string {
    const first = `(((${expr}) * ${2654435761 + 2 * ((salt * 7919) % 100_000)} + ${(salt * 40503 + 12345) % 2 ** 31}) % 4294967296)`;
    return `((((${first}) % 65536) * 2246822519 + ((${first}) / 65536) * 3266489917) % 4294967296)`;
  }

  /** `hexChars` random-looking hex characters per row (not reproducible on SQLite). */
  noise(n: string, salt: number, hexChars: number): string {
    if (this.dialect === 'sqlite') return `lower(hex(randomblob(${Math.ceil(hexChars / 2)})))`;
    const parts = Array.from({ length: Math.ceil(hexChars / 32) }, (_, i) => `md5((${n})::text || ':${salt}:${i}')`);
    return `substr(${parts.join(' || ')}, 1, ${hexChars})`;
  }

  hex8(expr: string): string {
    return this.dialect === 'sqlite' ? `printf('%08x', ${expr})` : `lpad(to_hex(${expr}), 8, '0')`;
  }

  /** `count` hex characters drawn from `n` under `salt` (at most 8 per hash). */
  hex(n: string, salt: number, count: number): string {
    const parts: string[] = [];
    for (let i = 0; count > 0; i++, count -= 8) {
      const chunk = this.hex8(this.hash(n, salt * 31 + i));
      parts.push(count >= 8 ? chunk : `substr(${chunk}, 1, ${count})`);
    }
    return parts.join(' || ');
  }

  /** A version-4-shaped UUID, unique per (salt, n); its first group is hashed so keys interleave. */
  uuid(salt: number, n: string): string {
    const tail = salt.toString(16).padStart(4, '0');
    const text =
      `${this.hex(n, salt, 8)} || '-' || ${this.hex(n, salt + 1, 4)} || '-4' || ${this.hex(n, salt + 2, 3)} || '-a' || ` +
      `${this.hex(n, salt + 3, 3)} || '-${tail}' || ${this.hex8(n)}`;
    return this.dialect === 'postgres' ? `(${text})::uuid` : `(${text})`;
  }

  int(expr: string): string {
    return this.dialect === 'postgres' ? `((${expr})::int)` : `(${expr})`;
  }

  bool(condition: string): string {
    return this.dialect === 'sqlite' ? `(CASE WHEN ${condition} THEN 1 ELSE 0 END)` : `(${condition})`;
  }

  /** A text literal. */
  lit(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
  }

  /** NULL when `condition` holds, else `expr`. */
  nullIf(condition: string, expr: string): string {
    return `(CASE WHEN ${condition} THEN NULL ELSE ${expr} END)`;
  }

  pick(selector: string, values: readonly string[]): string {
    const branches = values.map((v, i) => `WHEN ${i} THEN ${v}`).join(' ');
    return `(CASE ${this.int(`(${selector}) % ${values.length}`)} ${branches} END)`;
  }

  /**
   * A time `epoch` seconds (plus `micros`) as GORM leaves it: on SQLite the text Go's SQLite
   * driver writes (`2025-08-01 10:30:00.123456-06:00`, offsets varying by row, a tenth of the rows
   * with nanoseconds as Go's clock gives them); on PostgreSQL a timestamptz.
   */
  time(n: string, epoch: string, micros: string): string {
    if (this.dialect === 'postgres') return `(to_timestamp(${epoch}) + (${micros}) * interval '1 microsecond')`;
    const fraction =
      `(CASE WHEN (${n}) % 10 = 7 THEN '.' || rtrim(printf('%09d', (${micros}) * 1000 + 1 + (${n}) % 999), '0') ` +
      `WHEN (${micros}) = 0 THEN '' ELSE '.' || rtrim(printf('%06d', ${micros}), '0') END)`;
    const at = (shift: number, zone: string) => `strftime('%Y-%m-%d %H:%M:%S', (${epoch}) + ${shift}, 'unixepoch') || ${fraction} || '${zone}'`;
    return `(CASE (${n}) % 3 WHEN 0 THEN ${at(0, '+00:00')} WHEN 1 THEN ${at(-21600, '-06:00')} ELSE ${at(7200, '+02:00')} END)`;
  }

  /** Go's zero time.Time as GORM stores it (what Aviary writes for "no reset pending"). */
  zeroTime(): string {
    return this.dialect === 'sqlite' ? `'0001-01-01 00:00:00+00:00'` : `'0001-01-01 00:00:00+00'::timestamptz`;
  }

  /** INSERT … SELECT over n = from..to, generated inside the database. */
  insertSeries(table: string, columns: readonly string[], exprs: readonly string[], from: number, to: number): string {
    const q = (c: string) => (this.dialect === 'sqlite' ? `\`${c}\`` : `"${c}"`);
    const target = `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) SELECT ${exprs.join(', ')}`;
    if (this.dialect === 'postgres') return `${target} FROM generate_series(${from}, ${to}) AS s(n)`;
    return `WITH RECURSIVE s(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM s WHERE n < ${to}) ${target} FROM s`;
  }
}

/** A time in SQLite's GORM text form, for rows written from JavaScript. */
export function goSqliteTime(date: Date, offsetMinutes = 0): string {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const base = shifted.toISOString().replace('T', ' ').slice(0, 19);
  const ms = date.getUTCMilliseconds();
  const fraction = ms === 0 ? '' : '.' + String(ms).padStart(3, '0').replace(/0+$/, '');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${base}${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
