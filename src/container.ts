import type { Router } from 'express';
import { Container } from 'inversify';
import { ApiKeyAuthenticator } from './application/auth/api-key-authenticator';
import { AttemptLimiter } from './application/auth/attempt-limiter';
import { Authenticator } from './application/auth/authenticator';
import type { ApiKeyTagger } from './application/ports/api-key-tagger.port';
import type { AccountStore } from './application/ports/account-store.port';
import type { BlobStore } from './application/ports/blob-store.port';
import type { DatabaseBackend } from './application/ports/database.port';
import type { Clock, IdGenerator, Logger, PasswordHasher } from './application/ports/system.port';
import type { TokenService } from './application/ports/token-service.port';
import { TOKENS } from './application/ports/tokens';
import { EnsureFirstAdmin } from './application/use-cases/ensure-first-admin.use-case';
import { GetAdminStatus } from './application/use-cases/get-admin-status.use-case';
import { ResetPassword } from './application/use-cases/reset-password.use-case';
import type { RecordStore } from './application/ports/record-store.port';
import { BcryptPasswordHasher } from './adapters/auth/bcrypt.password-hasher';
import { HmacApiKeyTagger } from './adapters/auth/hmac.api-key-tagger';
import type { AppConfig } from './adapters/config/app-config';
import type { AdminRouteContribution, HttpEmbedding } from './adapters/http/create-router';
import { faultPointsFromEnv } from './adapters/system/env.fault-points';
import { CryptoIdGenerator, SystemClock } from './adapters/system/system-clock';
import { archiveModule } from './composition/archive.module';
import { backupModule } from './composition/backup.module';
import { FeatureModule, HTTP_TOKENS } from './composition/http-tokens';
import { restoreUploadModule } from './composition/restore-upload.module';
import { metricsModule } from './composition/metrics.module';
import { singleToMultiModule } from './composition/single-to-multi.module';
import { restoreModule } from './composition/restore.module';

export { HTTP_TOKENS } from './composition/http-tokens';

// Required when first resolved: only the server mounts routes and issues tokens, so a CLI command
// builds the same container without loading express or jsonwebtoken.
const httpRouter = () => require('./adapters/http/create-router') as typeof import('./adapters/http/create-router');
const adminStatusRouter = () => require('./adapters/http/admin-status.router') as typeof import('./adapters/http/admin-status.router');
const jwtTokens = () => require('./adapters/auth/jwt.token-service') as typeof import('./adapters/auth/jwt.token-service');

export interface Backends {
  readonly database: DatabaseBackend;
  readonly blobs: BlobStore;
}

/**
 * The composition root: config and the two built backends in, every port bound to its adapter,
 * every use case and controller built from those bindings. Nothing else constructs services.
 */
export function buildContainer(
  config: AppConfig,
  logger: Logger,
  backends: Backends,
  jwtSecret: string,
  embedding: HttpEmbedding = {},
  features: readonly FeatureModule[] = FEATURES,
): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(TOKENS.Config).toConstantValue(config);
  c.bind(TOKENS.Logger).toConstantValue(logger);
  c.bind(TOKENS.Clock).toConstantValue(new SystemClock());
  c.bind(TOKENS.Ids).toConstantValue(new CryptoIdGenerator());
  c.bind(TOKENS.PasswordHasher).toConstantValue(new BcryptPasswordHasher());
  c.bind(TOKENS.Database).toConstantValue(backends.database);
  c.bind(TOKENS.BlobStore).toConstantValue(backends.blobs);
  c.bind(TOKENS.FaultPoints).toConstantValue(faultPointsFromEnv(process.env));
  c.bind(TOKENS.RecordStore).toResolvedValue((db: DatabaseBackend) => db.records, [TOKENS.Database]);
  c.bind(TOKENS.AccountStore).toResolvedValue((db: DatabaseBackend) => db.accounts, [TOKENS.Database]);
  c.bind(HTTP_TOKENS.TokenService).toResolvedValue(() => new (jwtTokens().JwtTokenService)(jwtSecret, config.auth.sessionHours));

  c.bind(TOKENS.ApiKeyTagger).toConstantValue(new HmacApiKeyTagger(jwtSecret));

  const windowMs = config.auth.failedLoginWindowMinutes * 60_000;
  const rule = (scope: string, limit: number) => ({ scope, limit, windowMs });
  c.bind(TOKENS.Authenticator).toResolvedValue(
    (db: DatabaseBackend, hasher: PasswordHasher, tokens: TokenService, clock: Clock, tagger: ApiKeyTagger) => {
      const limiter = new AttemptLimiter(db.attempts, clock);
      const apiKeys = new ApiKeyAuthenticator(db.accounts, hasher, tagger, limiter, clock, {
        perIp: rule('api-key:ip', config.auth.maxFailedApiKeys),
        perKey: rule('api-key:key', config.auth.maxFailedLoginsPerAccount),
      });
      return new Authenticator(db.accounts, hasher, tokens, clock, limiter, {
        perIp: rule('login:ip', config.auth.maxFailedLogins),
        perAccount: rule('login:account', config.auth.maxFailedLoginsPerAccount),
      }, apiKeys);
    },
    [TOKENS.Database, TOKENS.PasswordHasher, HTTP_TOKENS.TokenService, TOKENS.Clock, TOKENS.ApiKeyTagger],
  );
  c.bind(TOKENS.EnsureFirstAdmin).toResolvedValue(
    (accounts: AccountStore, hasher: PasswordHasher, ids: IdGenerator, log: Logger) =>
      new EnsureFirstAdmin(accounts, hasher, ids, log),
    [TOKENS.AccountStore, TOKENS.PasswordHasher, TOKENS.Ids, TOKENS.Logger],
  );

  c.bind(ResetPassword).toResolvedValue(
    (accounts: AccountStore, hasher: PasswordHasher, ids: IdGenerator, log: Logger) => new ResetPassword(accounts, hasher, ids, log),
    [TOKENS.AccountStore, TOKENS.PasswordHasher, TOKENS.Ids, TOKENS.Logger],
  );

  c.bind(GetAdminStatus).toResolvedValue((records: RecordStore, clock: Clock) => new GetAdminStatus(records, clock), [
    TOKENS.RecordStore,
    TOKENS.Clock,
  ]);

  c.bind<AdminRouteContribution>(HTTP_TOKENS.AdminRoute).toResolvedValue(
    (status: GetAdminStatus) => adminStatusRouter().adminStatusRoutes(status),
    [GetAdminStatus],
  );
  for (const feature of features) feature(c, config);

  c.bind(HTTP_TOKENS.ApiRouter).toResolvedValue(
    (authenticator: Authenticator, database: DatabaseBackend, blobs: BlobStore, adminRoutes: AdminRouteContribution[], rootRoutes: Router[] | undefined) =>
      httpRouter().createApiRouter({
        logger,
        authenticator,
        database,
        blobs,
        multiUser: config.multiUser,
        secureCookies: !config.allowInsecureCookies,
        sessionHours: config.auth.sessionHours,
        adminRoutes,
        adminPage: config.uiEnabled,
        rootRoutes: rootRoutes ?? [],
        embedding,
      }),
    [
      TOKENS.Authenticator, TOKENS.Database, TOKENS.BlobStore,
      { serviceIdentifier: HTTP_TOKENS.AdminRoute, isMultiple: true },
      { serviceIdentifier: HTTP_TOKENS.RootRoute, isMultiple: true, optional: true },
    ],
  );
  return c;
}

export interface FeatureOptions {
  /** Run the single-user → multi-user migration at start (default true). */
  readonly startupMigration?: boolean;
  /** Record and serve Prometheus metrics (default true; a one-shot command has nobody scraping it). */
  readonly metrics?: boolean;
}

/** Feature modules in the order their routes are mounted; each lives in src/composition/. */
export function featureModules(options: FeatureOptions = {}): readonly FeatureModule[] {
  // singleToMultiModule last: its startup run moves files only after an interrupted restore was recovered.
  const modules = [archiveModule, backupModule, restoreUploadModule, restoreModule, singleToMultiModule({ runAtStartup: options.startupMigration ?? true })];
  return options.metrics === false ? modules : [...modules, metricsModule];
}

export const FEATURES: readonly FeatureModule[] = featureModules();
