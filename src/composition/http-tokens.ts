import type { Container } from 'inversify';
import type { AppConfig } from '../adapters/config/app-config';

export const HTTP_TOKENS = {
  TokenService: Symbol.for('aviary.TokenService'),
  /** Multi-bound: every feature module binds one AdminRouteContribution. */
  AdminRoute: Symbol.for('aviary.AdminRoute'),
  /** Multi-bound: routers mounted at the service's root, beside /healthz (e.g. /metrics). */
  RootRoute: Symbol.for('aviary.RootRoute'),
  ApiRouter: Symbol.for('aviary.ApiRouter'),
  /** Multi-bound StartupTask functions. */
  StartupTask: Symbol.for('aviary.StartupTask'),
  /** Multi-bound BackgroundService objects. */
  BackgroundService: Symbol.for('aviary.BackgroundService'),
} as const;

/** A feature's bindings (use cases, controllers, admin routes), applied after the core ones. */
export type FeatureModule = (container: Container, config: AppConfig) => void;
