import { ConflictError, DomainError, UnavailableError, isDomainError } from '../../domain/errors';
import { describeDriverFacts, driverFacts, type DriverFacts } from '../system/safe-error-text';

/** Where the database is and what to check, for messages an operator can act on. */
export interface ErrorTarget {
  readonly target: string;
  readonly hint: string;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET',
  'EPIPE', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_NOTADB',
  '57P01', '57P02', '57P03', '3D000', '28P01', '28000', '08001', '08006',
  'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_CON_COUNT_ERROR',
  'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN',
]);
// The MySQL family's (MariaDB, MySQL) error codes as its drivers name them.
const MYSQL_DUPLICATE = new Set(['ER_DUP_ENTRY', 'ER_DUP_KEY']);
const MYSQL_REFERENCE = new Set(['ER_NO_REFERENCED_ROW', 'ER_NO_REFERENCED_ROW_2', 'ER_ROW_IS_REFERENCED', 'ER_ROW_IS_REFERENCED_2']);
const MYSQL_REFUSED_VALUE = new Set([
  'ER_DATA_TOO_LONG', 'ER_TRUNCATED_WRONG_VALUE', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_BAD_NULL_ERROR', 'ER_NO_DEFAULT_FOR_FIELD', 'ER_WRONG_VALUE', 'ER_INVALID_CHARACTER_STRING',
]);
// Fixed phrases of connection failures; only the matched phrase is repeated, never the message.
const CONNECTION_TROUBLE = /connection (timeout|terminated)|not queryable|self[- ]signed|certificate|does not support SSL/i;
const REFUSED_VALUE = new Set(['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG']);

/**
 * Driver error → domain error, and nothing of the driver's message survives: knex writes the
 * statement with its bound values into it (password hashes, pairing tokens), PostgreSQL quotes the
 * offending value. Only codes, condition names, tables, columns and constraints are kept.
 * Unreachable → UnavailableError; unique / reference violation → ConflictError; a refused value →
 * integrity `invalid_value`; anything else → internal `database_error`.
 */
export function translateDriverError(error: unknown, where: ErrorTarget, context?: string): unknown {
  if (isDomainError(error) || !(error instanceof Error)) return error;
  const facts: DriverFacts = driverFacts(error) ?? nodeFacts(error);
  const code = facts.code;
  const said = describeDriverFacts(facts);
  const prefix = context ? `${context}: ` : '';
  const trouble = CONNECTION_TROUBLE.exec(error.message)?.[0];
  if ((code && UNREACHABLE.has(code)) || error.name === 'KnexTimeoutError' || trouble) {
    return new UnavailableError(
      'database_unavailable',
      `Cannot use the database (${where.target}): ${trouble && !code ? trouble : said}. ${where.hint}`,
      { cause: code ?? error.name },
    );
  }
  if (code === '23505' || (code && MYSQL_DUPLICATE.has(code)) || facts.reason === 'UNIQUE constraint failed' || facts.reason === 'PRIMARY KEY constraint failed') {
    return new ConflictError('duplicate_row', `${prefix}a row with the same unique value exists (${said})`);
  }
  if (code === '23503' || (code && MYSQL_REFERENCE.has(code)) || facts.reason === 'FOREIGN KEY constraint failed') {
    return new ConflictError('reference_violation', `${prefix}a referenced row is missing or still referenced (${said})`);
  }
  if ((code && /^2[23]/.test(code)) || (code && (REFUSED_VALUE.has(code) || MYSQL_REFUSED_VALUE.has(code)))) {
    return new DomainError('integrity', 'invalid_value', `${prefix}the database refused a value (${said})`);
  }
  return new DomainError('internal', 'database_error', `${prefix}database error (${said})`);
}

/** Socket and file errors of the connection: their code and the failing call, no message. */
function nodeFacts(error: Error): DriverFacts {
  const { code, syscall } = error as Error & { code?: unknown; syscall?: unknown };
  return {
    code: typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined,
    reason: typeof syscall === 'string' && /^\w{1,40}$/.test(syscall) ? syscall : error.name,
  };
}

/** Awaits `work`, translating a driver error. */
export async function guarded<T>(where: ErrorTarget, work: () => PromiseLike<T>, context?: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDriverError(error, where, context);
  }
}
