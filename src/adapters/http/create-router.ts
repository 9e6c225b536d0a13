import express, { Router } from 'express';
import type { Authenticator } from '../../application/auth/authenticator';
import type { BlobStore } from '../../application/ports/blob-store.port';
import type { DatabaseBackend } from '../../application/ports/database.port';
import type { Logger } from '../../application/ports/system.port';
import { requireAdmin, requireMultiUser } from './auth.middleware';
import { adminPageRouter } from './admin-page.router';
import { authRouter, profileRouter } from './auth.router';
import { csrfGuard } from './csrf.guard';
import { errorMapper, notFoundHandler } from './error-mapper';
import { systemRouter } from './system.router';

/** A router that adds admin endpoints; each feature contributes one, mounted under /api/admin. */
export type AdminRouteContribution = (router: Router) => void;

export interface HttpDeps {
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly database: DatabaseBackend;
  readonly blobs: BlobStore;
  readonly multiUser: boolean;
  readonly secureCookies: boolean;
  readonly sessionHours: number;
  readonly adminRoutes: readonly AdminRouteContribution[];
  /** Serve the admin web page at this router's root (`UI_ENABLED`). */
  readonly adminPage: boolean;
  /** Routers mounted at the root beside /healthz (e.g. /metrics). */
  readonly rootRoutes?: readonly Router[];
}

/**
 * The whole HTTP surface as one Express router, so a host app can mount it anywhere. Body parsing
 * and error mapping stay inside it: the host's own middleware and errors are not touched.
 */
export function createApiRouter(deps: HttpDeps): Router {
  const router = Router();
  const system = systemRouter(deps);
  router.use(system.root);
  if (deps.adminPage) router.use(adminPageRouter());
  for (const extra of deps.rootRoutes ?? []) router.use(extra);

  const api = Router();
  api.use(csrfGuard({ multipartPaths: [/^\/admin\/restore\/upload\/?$/, /^\/admin\/backup\/analyze\/?$/] }));
  api.use(express.json({ limit: '1mb' }));
  api.use(system.api);
  api.use('/profile', profileRouter(deps.authenticator));
  api.use('/auth', authRouter(deps.authenticator, { secureCookies: deps.secureCookies, sessionHours: deps.sessionHours }));

  const admin = Router();
  admin.use(requireMultiUser(deps.multiUser), requireAdmin(deps.authenticator));
  for (const contribute of deps.adminRoutes) contribute(admin);
  api.use('/admin', admin);

  api.use(notFoundHandler());
  router.use('/api', api);
  router.use('/api', errorMapper(deps.logger));
  router.use(errorMapper(deps.logger));
  return router;
}
