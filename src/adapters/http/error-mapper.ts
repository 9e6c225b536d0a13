import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from '../../application/ports/system.port';
import { ErrorCategory, isDomainError } from '../../domain/errors';
import { safeErrorText, stackFrames } from '../system/safe-error-text';
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
        : { error: withoutServerPaths(err.message), error_type: err.code, ...(err.details ? { details: err.details } : {}) };
      if (status >= 500) logger.error('request failed', { path: req.path, code: err.code, error: err.message });
      res.status(status).json(body);
      return;
    }
    const parser = bodyParserError(err);
    if (parser) {
      const tooLarge = parser.status === 413;
      res.status(parser.status).json({
        error: tooLarge ? 'Request body too large' : 'Malformed request body',
        error_type: tooLarge ? 'payload_too_large' : 'invalid_request',
      });
      return;
    }
    // Not ours: its message may quote data (a driver's bound values, parsed input); say what and where.
    logger.error('unexpected error', { path: req.path, error: safeErrorText(err), at: stackFrames(err) });
    res.status(500).json({ error: 'Internal server error', error_type: 'internal_error' });
  };
}

export function notFoundHandler(): RequestHandler {
  return (req: Request, res) => {
    res.status(404).json({ error: `No route for ${req.method} ${req.baseUrl}${req.path}`, error_type: 'route_not_found' });
  };
}
