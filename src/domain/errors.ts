/**
 * Domain errors carry a stable `code` (Aviary's `error_type` where one exists) and a category that
 * the HTTP layer maps to a status. Adapters translate driver errors into these at the boundary.
 */
export type ErrorCategory =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'integrity'
  | 'unavailable'
  | 'internal';

export class DomainError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly details?: Record<string, unknown>;

  constructor(category: ErrorCategory, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.category = category;
    this.code = code;
    this.details = details;
  }
}

export class InvalidInputError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('invalid', code, message, details);
    this.name = 'InvalidInputError';
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('not_found', code, message, details);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('conflict', code, message, details);
    this.name = 'ConflictError';
  }
}

export class UnavailableError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('unavailable', code, message, details);
    this.name = 'UnavailableError';
  }
}

export class AuthenticationError extends DomainError {
  constructor(code = 'authentication_required', message = 'Authentication required') {
    super('unauthenticated', code, message);
    this.name = 'AuthenticationError';
  }
}

export class ForbiddenError extends DomainError {
  constructor(code = 'admin_required', message = 'Admin privileges required') {
    super('forbidden', code, message);
    this.name = 'ForbiddenError';
  }
}

const CATEGORIES: ReadonlySet<string> = new Set<ErrorCategory>([
  'invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'too_large', 'rate_limited', 'integrity', 'unavailable', 'internal',
]);

/**
 * True when `e` is a domain error: an object with a known `category` and a string `code`. Recognised
 * by these fields, never by class, so an error built by a plugin's own copy of this package (or a plain
 * object with the fields) is treated exactly like one of ours. With `codeOrCategory`, also requires
 * that code or that category (`isDomainError(e, 'not_found')`, `isDomainError(e, 'blob_not_found')`).
 */
export function isDomainError(e: unknown, codeOrCategory?: string): e is DomainError {
  if (e === null || typeof e !== 'object') return false;
  const { category, code } = e as { category?: unknown; code?: unknown };
  if (typeof category !== 'string' || !CATEGORIES.has(category) || typeof code !== 'string') return false;
  return codeOrCategory === undefined || code === codeOrCategory || category === codeOrCategory;
}
