import type { Request, RequestHandler } from 'express';
import type { UserAccount } from '../../application/ports/account-store.port';
import type { Authenticator } from '../../application/auth/authenticator';
import { looksLikeJwt } from '../../domain/api-key';
import { AuthenticationError, DomainError, ForbiddenError } from '../../domain/errors';

export const AUTH_COOKIE = 'auth_token';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Resolves the caller from the auth cookie, a Bearer token or X-API-Key (may throw a rate_limited error). */
export async function identify(req: Request, auth: Authenticator): Promise<UserAccount | null> {
  const cookie = readCookie(req, AUTH_COOKIE);
  if (cookie) {
    const user = await auth.fromToken(cookie);
    if (user) return user;
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (bearer) {
    const user = looksLikeJwt(bearer) ? await auth.fromToken(bearer) : await auth.fromApiKey(bearer, clientIp(req));
    if (user) return user;
  }
  const apiKey = req.header('x-api-key')?.trim();
  if (apiKey) return auth.fromApiKey(apiKey, clientIp(req));
  return null;
}

export function currentUser(res: { locals: Record<string, unknown> }): UserAccount {
  const user = res.locals.user as UserAccount | undefined;
  if (!user) throw new AuthenticationError();
  return user;
}

/** 401 without valid credentials, 403 for non-admins (README, HTTP API). */
export function requireAdmin(auth: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const user = await identify(req, auth);
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
