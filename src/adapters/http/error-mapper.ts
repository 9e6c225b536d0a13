import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../application/ports/system.port';
import { ErrorCategory, isDomainError } from '../../domain/errors';
import { safeErrorText, stackFrames } from '../system/safe-error-text';
import { aviaryErrorType, operationOf } from './aviary-error-types';
import { withoutServerPaths } from './server-paths';

const STATUS: Record<ErrorCategory, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  integrity: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export function statusOf(category: ErrorCategory): number {
  return STATUS[category];
}

/** Body-parser errors carry `type` and `status`; they are the client's fault, not ours. */
function bodyParserError(err: unknown): { status: number; type: string } | null {
  const e = err as { type?: unknown; status?: unknown };
  if (typeof e?.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, type: e.type };
  }
  return null;
}

/**
 * The one place errors become HTTP answers: domain categories → status codes, Aviary-style bodies
 * (`error` message, `error_type` code). Once a streamed response has begun, no JSON body is
 * written: the connection is cut so the client sees a failed transfer, not a corrupted file.
 */
export function errorMapper(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      logger.warn('error after response started; closing connection', { path: req.path, error: safeErrorText(err) });
      res.destroy();
      return;
    }
    if (isDomainError(err)) {
      const status = statusOf(err.category);
      // Aviary's login errors are bare translation keys.
      const body = err.code.startsWith('backend.auth.')
        ? { error: err.code }
        : errorBody(res, err.category, err.code, withoutServerPaths(err.message) ?? '', err.details);
      if (status >= 500) logger.error('request failed', { path: req.path, code: err.code, error: err.message });
      res.status(status).json(body);
      return;
    }
    const parser = bodyParserError(err);
    if (parser) {
      const tooLarge = parser.status === 413;
      const message = tooLarge ? 'Request body too large' : 'Malformed request body';
      res.status(parser.status).json(errorBody(res, 'invalid', tooLarge ? 'payload_too_large' : 'invalid_request', message));
      return;
    }
    // Not ours: its message may quote data (a driver's bound values, parsed input); say what and where.
    logger.error('unexpected error', { path: req.path, error: safeErrorText(err), at: stackFrames(err) });
    res.status(500).json(errorBody(res, 'internal', 'internal_error', 'Internal server error'));
  };
}

/**
 * `{error, error_type, code}`: `error_type` is a key Aviary's UI translates (or absent), `code`
 * our precise and stable reason.
 */
export function errorBody(
  res: Response,
  category: ErrorCategory,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Record<string, unknown> {
  const errorType = aviaryErrorType(code, category, operationOf(res));
  return { error: message, ...(errorType ? { error_type: errorType } : {}), code, ...(details ? { details } : {}) };
}

export function notFoundHandler(): RequestHandler {
  return (req: Request, res) => {
    res.status(404).json(errorBody(res, 'not_found', 'route_not_found', `No route for ${req.method} ${req.baseUrl}${req.path}`));
  };
}
