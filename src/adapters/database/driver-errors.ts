import { ConflictError, DomainError, UnavailableError } from '../../domain/errors';

/** Where the database is and what to check, for messages an operator can act on. */
export interface ErrorTarget {
  readonly target: string;
  readonly hint: string;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET',
  'EPIPE', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_NOTADB',
  '57P01', '57P02', '57P03', '3D000', '28P01', '28000', '08001', '08006',
]);

/** Driver error → domain error: unreachable → UnavailableError, unique/reference violation → ConflictError. */
export function translateDriverError(error: unknown, where: ErrorTarget, context?: string): unknown {
  if (error instanceof DomainError || !(error instanceof Error)) return error;
  const { code, message } = error as Error & { code?: string };
  const prefix = context ? `${context}: ` : '';
  if (
    (code && UNREACHABLE.has(code)) ||
    error.name === 'KnexTimeoutError' ||
    /connection (timeout|terminated)|not queryable|self[- ]signed|certificate|does not support SSL/i.test(message)
  ) {
    return new UnavailableError(
      'database_unavailable',
      `Cannot use the database (${where.target}): ${message}. ${where.hint}`,
      { cause: code ?? error.name },
    );
  }
  if (code === '23505' || /UNIQUE constraint failed/.test(message)) {
    return new ConflictError('duplicate_row', `${prefix}a row with the same unique value exists (${message})`);
  }
  if (code === '23503' || /FOREIGN KEY constraint failed/.test(message)) {
    return new ConflictError('reference_violation', `${prefix}a referenced row is missing or still referenced (${message})`);
  }
  return error;
}

/** Awaits `work`, translating a driver error. */
export async function guarded<T>(where: ErrorTarget, work: () => PromiseLike<T>, context?: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDriverError(error, where, context);
  }
}
