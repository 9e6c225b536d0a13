import { Router, type CookieOptions, type Request } from 'express';
import type { Authenticator } from '../../application/auth/authenticator';
import { LoginError } from '../../application/auth/authenticator';
import type { Logger } from '../../application/ports/system.port';
import { AuthenticationError, isDomainError } from '../../domain/errors';
import { bearerToken, clientIp, Identify, readCookies } from './auth.middleware';
import { mountPathOf } from './mount-path';
import { loginBody, parseInput, passwordChangeBody } from './request-schemas';

export interface AuthRouterOptions {
  readonly secureCookies: boolean;
  readonly sessionHours: number;
  readonly cookieName: string;
  /** The session cookie's Path; by default where the service is mounted (`/` standalone). */
  readonly cookiePath?: string;
  readonly logger: Logger;
}

export const INSECURE_COOKIE_WARNING =
  'The session cookie is Secure but this login came over plain HTTP from another machine: the browser will drop it, ' +
  'so the login will not stick. Serve over HTTPS or set ALLOW_INSECURE=true.';

/** Aviary's login, logout and session check (README, HTTP API). */
export function authRouter(auth: Authenticator, identify: Identify, options: AuthRouterOptions): Router {
  const router = Router();
  const cookie = (req: Request): CookieOptions => ({
    httpOnly: true,
    sameSite: 'strict',
    secure: options.secureCookies,
    path: options.cookiePath ?? (mountPathOf(req) || '/'),
  });
  let warned = false;

  router.post('/login', async (req, res) => {
    const body = loginBody.safeParse(req.body);
    if (!body.success) throw new LoginError('invalid_request');
    const { token } = await auth.login({
      username: body.data.username.trim(),
      password: body.data.password,
      ipAddress: clientIp(req),
      userAgent: req.header('user-agent') ?? '',
    });
    res.cookie(options.cookieName, token, { ...cookie(req), maxAge: options.sessionHours * 3600_000 });
    if (options.secureCookies && !reachedOverHttps(req) && !isLoopback(clientIp(req))) {
      // Logged once per service: every such login repeats the hint in its answer instead.
      if (!warned) options.logger.warn(INSECURE_COOKIE_WARNING, { client: clientIp(req) });
      warned = true;
      res.json({ success: true, warning: INSECURE_COOKIE_WARNING });
      return;
    }
    res.json({ success: true });
  });

  // The session ends on the server too: the token is refused from now on, wherever it was copied.
  router.post('/logout', async (req, res) => {
    for (const token of [...readCookies(req, options.cookieName), bearerToken(req)]) if (token) await auth.logout(token);
    res.clearCookie(options.cookieName, cookie(req));
    res.json({ success: true });
  });

  // Always 200 (Aviary's UI relies on it): a rate-limited API key is simply not authenticated.
  router.get('/check', async (req, res) => {
    const user = await identify(req).catch((error: unknown) => {
      if (isDomainError(error) && error.category === 'rate_limited') return null;
      throw error;
    });
    if (!user) {
      res.json({ authenticated: false });
      return;
    }
    res.json({
      authenticated: true,
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        is_admin: user.isAdmin,
        is_active: user.isActive,
        rmapi_paired: user.rmapiPaired,
        default_rmdir: user.defaultRmdir,
        created_at: user.createdAt,
      },
    });
  });

  return router;
}

/** `PUT /api/profile/password {current_password, new_password}`, as Aviary names it: any signed-in user. */
export function profileRouter(auth: Authenticator, identify: Identify, cookieName: string): Router {
  const router = Router();
  router.put('/password', async (req, res) => {
    const user = await identify(req);
    if (!user) throw new AuthenticationError();
    const body = parseInput(passwordChangeBody, req.body);
    const token = [...readCookies(req, cookieName), bearerToken(req)].find((t) => t !== undefined && auth.sessionOf(t));
    await auth.changePassword({
      userId: user.id,
      sessionId: token ? auth.sessionOf(token) : undefined,
      currentPassword: body.current_password,
      newPassword: body.new_password,
    });
    res.json({ success: true });
  });
  return router;
}

/**
 * HTTPS as the browser sees it. Besides `req.secure` (which trusts proxy headers only when the app
 * does), a proxy's `X-Forwarded-Proto`/`Forwarded` saying https is believed: it only silences a hint.
 */
function reachedOverHttps(req: Request): boolean {
  if (req.secure) return true;
  const forwarded = req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded === 'https' || /(?:^|[;,\s])proto=(?:"?)https\b/i.test(req.header('forwarded') ?? '');
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6: a browser there accepts Secure cookies over plain HTTP. */
function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
