import express, { Router } from 'express';
import type { Authenticator } from '../../application/auth/authenticator';
import type { BlobStore } from '../../application/ports/blob-store.port';
import type { DatabaseBackend } from '../../application/ports/database.port';
import type { Logger } from '../../application/ports/system.port';
import { AUTH_COOKIE, HostAuthenticate, identifier, requireAdmin, requireMultiUser } from './auth.middleware';
import { adminPageRouter } from './admin-page.router';
import { authRouter, profileRouter } from './auth.router';
import { csrfGuard } from './csrf.guard';
import { errorMapper, notFoundHandler } from './error-mapper';
import { recordMountPath } from './mount-path';
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
  readonly embedding?: HttpEmbedding;
}

/** What an embedding host may change about authentication (see README, Embedding). */
export interface HttpEmbedding {
  /** Consulted before the session cookie and API keys; null falls back to them. */
  readonly authenticate?: HostAuthenticate;
  /** The session cookie: name (default `auth_token`) and Path (default: where the router is mounted). */
  readonly cookie?: { readonly name?: string; readonly path?: string };
}

/**
 * The whole HTTP surface as one Express router, so a host app can mount it anywhere. Body parsing
 * and error mapping stay inside it: the host's own middleware and errors are not touched.
 */
export function createApiRouter(deps: HttpDeps): Router {
  const router = Router();
  router.use(recordMountPath());
  const cookieName = deps.embedding?.cookie?.name ?? AUTH_COOKIE;
  const identify = identifier(deps.authenticator, { cookieName, authenticate: deps.embedding?.authenticate });
  const system = systemRouter(deps);
  router.use(system.root);
  if (deps.adminPage) router.use(adminPageRouter());
  for (const extra of deps.rootRoutes ?? []) router.use(extra);

  const api = Router();
  api.use(csrfGuard({ multipartPaths: [/^\/admin\/restore\/upload\/?$/, /^\/admin\/backup\/analyze\/?$/] }));
  api.use(express.json({ limit: '1mb' }));
  api.use(system.api);
  api.use('/profile', profileRouter(deps.authenticator, identify, cookieName));
  api.use('/auth', authRouter(deps.authenticator, identify, {
    secureCookies: deps.secureCookies,
    sessionHours: deps.sessionHours,
    cookieName,
    cookiePath: deps.embedding?.cookie?.path,
    logger: deps.logger,
  }));

  const admin = Router();
  admin.use(requireMultiUser(deps.multiUser), requireAdmin(identify));
  for (const contribute of deps.adminRoutes) contribute(admin);
  api.use('/admin', admin);

  api.use(notFoundHandler());
  router.use('/api', api);
  router.use('/api', errorMapper(deps.logger));
  router.use(errorMapper(deps.logger));
  return router;
}
