import { Router, type RequestHandler } from 'express';
import type { Container } from 'inversify';
import type { AppConfig } from './adapters/config/app-config';
import { BootedService, BootOptions, bootService } from './boot';
import { HTTP_TOKENS } from './composition/http-tokens';

export { INITIAL_PASSWORD_FILE } from './boot';

export type AviaryBackupOptions = Omit<BootOptions, 'background'>;

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
      booted = await bootService({ ...options, background: true });
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
