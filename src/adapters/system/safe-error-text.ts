/**
 * What may be said about an error without quoting data. Database drivers put values into their
 * messages (knex prefixes the statement with its bound values; PostgreSQL quotes the offending
 * value or row), so a driver error is described only by its code, the condition's name and the
 * table, column and constraint it names — never by its message.
 */
export interface DriverFacts {
  readonly code?: string;
  /** A condition name from a fixed vocabulary ("unique_violation", "UNIQUE constraint failed"). */
  readonly reason?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.$]{0,127}$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
const SQLITE_CODE = /^SQLITE_[A-Z_]+$/;

const SQLSTATE_NAMES: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '25P02': 'in_failed_sql_transaction',
  '28000': 'invalid_authorization_specification',
  '28P01': 'invalid_password',
  '3D000': 'invalid_catalog_name',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42P01': 'undefined_table',
  '42703': 'undefined_column',
  '53300': 'too_many_connections',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
};

// SQLite's own texts that name only schema objects; anything else is reduced to the code.
const SQLITE_CONSTRAINT = /^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY|PRIMARY KEY) constraint failed(?:: ([A-Za-z0-9_.]+(?:, [A-Za-z0-9_.]+)*))?$/;
const SQLITE_FIXED = /^(database is locked|database table is locked|datatype mismatch|string or blob too big|disk I\/O error|database disk image is malformed|unable to open database file|attempt to write a readonly database|file is not a database|interrupted|cannot start a transaction within a transaction|cannot commit - no transaction is active)$/;
const SQLITE_NO_TABLE = /^no such table: ([A-Za-z0-9_.]+)$/;

const identifier = (v: unknown) => (typeof v === 'string' && IDENTIFIER.test(v) ? v : undefined);

/** The facts of a driver error, or null when `error` does not look like one. */
export function driverFacts(error: unknown): DriverFacts | null {
  if (!(error instanceof Error)) return null;
  const e = error as Error & Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && SQLITE_CODE.test(code)) {
    // knex prefixes the statement (with values); the driver's own text is the last "SQLITE_X: …".
    const tail = /.*SQLITE_[A-Z_]+: (.*)$/s.exec(e.message)?.[1] ?? '';
    const constraint = SQLITE_CONSTRAINT.exec(tail);
    if (constraint) {
      const [table, column] = (constraint[2] ?? '').split(', ')[0].split('.');
      return { code, reason: `${constraint[1]} constraint failed`, table: identifier(table), column: identifier(column) };
    }
    const missing = SQLITE_NO_TABLE.exec(tail);
    if (missing) return { code, reason: 'no such table', table: identifier(missing[1]) };
    return { code, reason: SQLITE_FIXED.exec(tail)?.[1] };
  }
  if (code && SQLSTATE.test(code) && ('severity' in e || 'routine' in e || 'schema' in e || SQLSTATE_NAMES[code])) {
    return {
      code,
      reason: SQLSTATE_NAMES[code],
      table: identifier(e.table),
      column: identifier(e.column),
      constraint: identifier(e.constraint),
    };
  }
  if (/^Knex/.test(error.name)) return { reason: error.name };
  return null;
}

/** "23505 unique_violation, table users, constraint users_username_unique" */
export function describeDriverFacts(facts: DriverFacts): string {
  const parts = [[facts.code, facts.reason].filter(Boolean).join(' ') || 'driver error'];
  if (facts.table) parts.push(`table ${facts.table}`);
  if (facts.column) parts.push(`column ${facts.column}`);
  if (facts.constraint) parts.push(`constraint ${facts.constraint}`);
  return parts.join(', ');
}

const isOurs = (e: unknown): e is Error & { code: string; category: string } =>
  e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { category?: unknown }).category === 'string';

/**
 * Text for a log line or a stored job error. Domain errors are ours and say what they mean; a
 * driver error is reduced to its facts; a system call's error (file, socket) keeps its message, which
 * names the call and the path; any other error gives its name and code only (its message may quote
 * input: a JSON parser's and Node's argument checks do).
 */
export function safeErrorText(error: unknown): string {
  if (isOurs(error)) return error.message;
  const facts = driverFacts(error);
  if (facts) return `database error (${describeDriverFacts(facts)})`;
  if (error instanceof Error) {
    if (typeof (error as { syscall?: unknown }).syscall === 'string') return error.message;
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code) ? `${error.name} (${code})` : error.name;
  }
  return typeof error === 'string' ? 'error' : typeof error;
}

/** The stack's frames without its first line (which repeats the message). */
export function stackFrames(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.stack) return undefined;
  const at = error.stack.indexOf('\n    at ');
  return at < 0 ? undefined : error.stack.slice(at + 1);
}
