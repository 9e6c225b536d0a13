import { Router, type Request, type RequestHandler } from 'express';
import type { HostIdentity } from './application/auth/authenticator';
import type { Container } from 'inversify';
import { AppConfig, ConfigError } from './adapters/config/app-config';
import { BootedService, BootOptions, bootService } from './boot';
import { HTTP_TOKENS } from './composition/http-tokens';

export { INITIAL_PASSWORD_FILE } from './boot';

/**
 * The host's signed-in user for a request. `id` must be a UUID. When it is the id of a user in this
 * service's database, that account is used (its is_admin and is_active decide, as at login);
 * otherwise `username`, `isAdmin` and `email` are taken as given: the host is trusted code.
 */
export type HostUser = HostIdentity;

export interface AviaryBackupOptions extends Omit<BootOptions, 'background' | 'http'> {
  /**
   * Supplies the caller from the host's own login; consulted before the service's session cookie
   * and API keys, which are used when it returns null. Its errors answer 500.
   */
  readonly authenticate?: (req: Request) => Promise<HostUser | null> | HostUser | null;
  /** The service's session cookie: `name` (default `auth_token`), `path` (default: the mount path, `/` at the root). */
  readonly cookie?: { readonly name?: string; readonly path?: string };
}

export interface StartReport {
  readonly migrationsApplied: readonly string[];
  /** Set when this start created the first admin. */
  readonly firstAdmin?: { readonly username: string; readonly passwordFile?: string };
}

export interface AviaryBackup {
  /** Mount anywhere (`app.use('/aviary', service.router)`); answers 503 until start() resolves. */
  readonly router: Router;
  start(): Promise<StartReport>;
  /** Stops workers and timers, closes database and storage connections. Safe to call twice. */
  close(): Promise<void>;
  /** Available after start(). */
  readonly config: AppConfig | undefined;
  readonly container: Container | undefined;
}

/** Builds the service for an Express app; nothing touches the disk or network until start(). */
export function createAviaryBackup(options: AviaryBackupOptions = {}): AviaryBackup {
  const problems = embeddingProblems(options);
  if (problems.length > 0) throw new ConfigError(problems);
  const { authenticate, cookie, ...boot } = options;
  let inner: Router | undefined;
  let booted: BootedService | undefined;
  let closed = false;

  const gate: RequestHandler = (req, res, next) => {
    if (inner) return inner(req, res, next);
    res.status(503).json({ error: 'The backup service is starting or stopped', code: 'service_unavailable' });
  };
  const router = Router();
  router.use(gate);

  return {
    router,
    async start() {
      if (booted || closed) throw new Error('aviary-backup: start() can be called once, before close()');
      booted = await bootService({ ...boot, background: true, http: { authenticate, cookie } });
      inner = booted.container.get<Router>(HTTP_TOKENS.ApiRouter);
      const { config } = booted;
      booted.logger.info('aviary-backup ready', { database: config.database.kind, storage: config.storage.kind, multi_user: config.multiUser });
      return { migrationsApplied: booted.migrationsApplied, firstAdmin: booted.firstAdmin };
    },
    async close() {
      if (closed) return;
      closed = true;
      inner = undefined;
      await booted?.close();
    },
    get config() {
      return booted?.config;
    },
    get container() {
      return booted?.container;
    },
  };
}

// RFC 6265: a cookie name is a token; a path is printable text without ';' starting at '/'.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_PATH = /^\/[\x21-\x3a\x3c-\x7e]*$/;

function embeddingProblems(options: AviaryBackupOptions): string[] {
  const problems: string[] = [];
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    problems.push('authenticate must be a function (req) => { id, username, isAdmin } | null');
  }
  const { name, path } = options.cookie ?? {};
  if (name !== undefined && (typeof name !== 'string' || !COOKIE_NAME.test(name))) problems.push('cookie.name must be a cookie token such as "aviary_backup_token"');
  if (path !== undefined && (typeof path !== 'string' || !COOKIE_PATH.test(path))) problems.push('cookie.path must start with "/" and hold no spaces or ";"');
  return problems;
}
