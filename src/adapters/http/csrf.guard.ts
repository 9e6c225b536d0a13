import type { Request, RequestHandler } from 'express';
import { DomainError } from '../../domain/errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfOptions {
  /** Paths (relative to the guarded router) that take a multipart upload; every other body must be JSON. */
  readonly multipartPaths: readonly RegExp[];
}

/**
 * Cross-site request forgery defence for every state-changing request. The session cookie is
 * already SameSite=Strict; besides:
 * - a browser that says where a request comes from (`Sec-Fetch-Site`) must say `same-origin` (or
 *   `none`: typed or bookmarked by the user); without that header, an `Origin` header must name
 *   this host. Clients that send neither (curl, scripts with an API key) are not browsers and
 *   cannot be driven by another site.
 * - a body must be JSON (`application/json`), or multipart on the upload routes: the content types
 *   an HTML form can send cross-site without a preflight (url-encoded, text/plain) are refused.
 * Aviary's own UI (same-origin fetch with JSON bodies or a multipart upload) passes both.
 */
export function csrfGuard(options: CsrfOptions): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.header('sec-fetch-site');
    if (site !== undefined) {
      if (site !== 'same-origin' && site !== 'none') throw forbidden('the request comes from another site');
    } else {
      const origin = req.header('origin');
      if (origin !== undefined && !sameHost(origin, req)) throw forbidden('the request comes from another origin');
    }
    if (hasBody(req)) {
      const type = (req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const multipart = type === 'multipart/form-data' && options.multipartPaths.some((p) => p.test(req.path));
      if (type !== 'application/json' && !multipart) {
        throw new DomainError('invalid', 'unsupported_media_type', 'Request bodies must be JSON (application/json)');
      }
    }
    next();
  };
}

function forbidden(why: string): DomainError {
  return new DomainError('forbidden', 'cross_site_request', `Cross-site request refused: ${why}`);
}

function hasBody(req: Request): boolean {
  const length = req.header('content-length');
  return (length !== undefined && length !== '0') || req.header('transfer-encoding') !== undefined;
}

/** `Origin` against the Host the request was sent to (and a proxy's X-Forwarded-Host when the app trusts proxies). */
function sameHost(origin: string, req: Request): boolean {
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  const hosts = [req.header('host')];
  if (req.app?.get('trust proxy')) hosts.push(req.header('x-forwarded-host')?.split(',')[0]?.trim());
  return hosts.some((h) => h !== undefined && h.toLowerCase() === host);
}
