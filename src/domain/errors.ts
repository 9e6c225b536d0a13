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

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
