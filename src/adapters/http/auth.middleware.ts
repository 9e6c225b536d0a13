import type { Request, RequestHandler } from 'express';
import type { UserAccount } from '../../application/ports/account-store.port';
import type { Authenticator, HostIdentity } from '../../application/auth/authenticator';
import { looksLikeJwt } from '../../domain/api-key';
import { AuthenticationError, DomainError, ForbiddenError } from '../../domain/errors';

export const AUTH_COOKIE = 'auth_token';

/** Every value sent under this cookie name: a browser sends one per matching path, the most specific first. */
export function readCookies(req: Request, name: string): string[] {
  const values: string[] = [];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      values.push(decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // not a value this service wrote
    }
  }
  return values;
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** The signed-in user of the embedding host app, vouched for by the host (`authenticate` option). */
export type HostAuthenticate = (req: Request) => Promise<HostIdentity | null> | HostIdentity | null;

export interface IdentifyOptions {
  readonly cookieName: string;
  readonly authenticate?: HostAuthenticate;
}

/** Who is calling, or null; may throw a rate_limited error (API keys). */
export type Identify = (req: Request) => Promise<UserAccount | null>;

/**
 * The host's `authenticate` first: a user it names is the caller (see Authenticator.fromHost); null
 * falls back to the session cookie, a Bearer token, then X-API-Key.
 */
export function identifier(auth: Authenticator, options: IdentifyOptions): Identify {
  return async (req) => {
    if (options.authenticate) {
      const host = await options.authenticate(req);
      if (host !== null && host !== undefined) return auth.fromHost(host);
    }
    for (const token of readCookies(req, options.cookieName)) {
      const user = await auth.fromToken(token);
      if (user) return user;
    }
    const bearer = bearerToken(req);
    if (bearer) {
      const user = looksLikeJwt(bearer) ? await auth.fromToken(bearer) : await auth.fromApiKey(bearer, clientIp(req));
      if (user) return user;
    }
    const apiKey = req.header('x-api-key')?.trim();
    if (apiKey) return auth.fromApiKey(apiKey, clientIp(req));
    return null;
  };
}

export function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() || undefined;
}

export function currentUser(res: { locals: Record<string, unknown> }): UserAccount {
  const user = res.locals.user as UserAccount | undefined;
  if (!user) throw new AuthenticationError();
  return user;
}

/** 401 without valid credentials, 403 for non-admins (README, HTTP API). */
export function requireAdmin(identify: Identify): RequestHandler {
  return async (req, res, next) => {
    const user = await identify(req);
    if (!user) throw new AuthenticationError();
    if (!user.isAdmin) throw new ForbiddenError();
    res.locals.user = user;
    next();
  };
}

/** Aviary answers 404 for admin features when it runs single-user. */
export function requireMultiUser(multiUser: boolean): RequestHandler {
  return (_req, _res, next) => {
    if (!multiUser) throw new DomainError('not_found', 'single_user_mode', 'Admin API not available in single-user mode');
    next();
  };
}
