import type { Container } from 'inversify';
import type { AppConfig } from '../adapters/config/app-config';

export const HTTP_TOKENS = {
  TokenService: Symbol.for('aviary.TokenService'),
  /** Multi-bound: every feature module binds one AdminRouteContribution. */
  AdminRoute: Symbol.for('aviary.AdminRoute'),
  ApiRouter: Symbol.for('aviary.ApiRouter'),
} as const;

/** A feature's bindings (use cases, controllers, admin routes), applied after the core ones. */
export type FeatureModule = (container: Container, config: AppConfig) => void;
