import { Router, type CookieOptions } from 'express';
import type { Authenticator } from '../../application/auth/authenticator';
import { LoginError } from '../../application/auth/authenticator';
import { AuthenticationError, InvalidInputError, isDomainError } from '../../domain/errors';
import { AUTH_COOKIE, clientIp, identify, readCookie } from './auth.middleware';

export interface AuthRouterOptions {
  readonly secureCookies: boolean;
  readonly sessionHours: number;
}

/** Aviary's login, logout and session check (README, HTTP API). */
export function authRouter(auth: Authenticator, options: AuthRouterOptions): Router {
  const router = Router();
  const cookie: CookieOptions = {
    httpOnly: true,
    sameSite: 'strict',
    secure: options.secureCookies,
    path: '/',
  };

  router.post('/login', async (req, res) => {
    const body = req.body as { username?: unknown; password?: unknown } | undefined;
    if (typeof body?.username !== 'string' || typeof body.password !== 'string') throw new LoginError('invalid_request');
    const { token } = await auth.login({
      username: body.username.trim(),
      password: body.password,
      ipAddress: clientIp(req),
      userAgent: req.header('user-agent') ?? '',
    });
    res.cookie(AUTH_COOKIE, token, { ...cookie, maxAge: options.sessionHours * 3600_000 });
    res.json({ success: true });
  });

  // The session ends on the server too: the token is refused from now on, wherever it was copied.
  router.post('/logout', async (req, res) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = readCookie(req, AUTH_COOKIE) ?? bearer;
    if (token) await auth.logout(token);
    res.clearCookie(AUTH_COOKIE, cookie);
    res.json({ success: true });
  });

  // Always 200 (Aviary's UI relies on it): a rate-limited API key is simply not authenticated.
  router.get('/check', async (req, res) => {
    const user = await identify(req, auth).catch((error: unknown) => {
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
export function profileRouter(auth: Authenticator): Router {
  const router = Router();
  router.put('/password', async (req, res) => {
    const user = await identify(req, auth);
    if (!user) throw new AuthenticationError();
    const body = (req.body ?? {}) as { current_password?: unknown; new_password?: unknown };
    if (typeof body.current_password !== 'string' || typeof body.new_password !== 'string') {
      throw new InvalidInputError('invalid_request', 'Send {"current_password": "…", "new_password": "…"}');
    }
    const token = readCookie(req, AUTH_COOKIE) ?? /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
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
