import { Router, type CookieOptions } from 'express';
import type { Authenticator } from '../../application/auth/authenticator';
import { LoginError } from '../../application/auth/authenticator';
import { AUTH_COOKIE, identify } from './auth.middleware';

export interface AuthRouterOptions {
  readonly secureCookies: boolean;
  readonly sessionHours: number;
}

/** Aviary's login, logout and session check (SPEC §5). */
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
      ipAddress: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      userAgent: req.header('user-agent') ?? '',
    });
    res.cookie(AUTH_COOKIE, token, { ...cookie, maxAge: options.sessionHours * 3600_000 });
    res.json({ success: true });
  });

  router.post('/logout', (_req, res) => {
    res.clearCookie(AUTH_COOKIE, cookie);
    res.json({ success: true });
  });

  router.get('/check', async (req, res) => {
    const user = await identify(req, auth);
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
