import { Router } from 'express';
import type { BlobStore } from '../../application/ports/blob-store.port';
import type { DatabaseBackend } from '../../application/ports/database.port';
import type { Logger } from '../../application/ports/system.port';
import { isDomainError } from '../../domain/errors';
import { AVIARY_SCHEMA_VERSION } from '../../domain/schema/aviary-schema';
import { SERVICE_VERSION } from '../../service-version';
import { openApiDocument } from './openapi';

export interface SystemRouterDeps {
  readonly database: DatabaseBackend;
  readonly blobs: BlobStore;
  readonly multiUser: boolean;
  readonly logger: Logger;
}

/** Reports a code, never the driver's message: those can name hosts and server paths. */
async function probe(what: string, check: () => Promise<void>, logger: Logger): Promise<{ ok: boolean; error?: string }> {
  try {
    await check();
    return { ok: true };
  } catch (error) {
    logger.warn(`readiness: ${what} unreachable`, { error: error instanceof Error ? error.message : String(error) });
    return { ok: false, error: isDomainError(error) ? error.code : `${what}_unavailable` };
  }
}

/** Liveness, readiness and the public endpoints Aviary's web UI reads before login. */
export function systemRouter(deps: SystemRouterDeps): { root: Router; api: Router } {
  const root = Router();
  root.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  root.get('/readyz', async (_req, res) => {
    const [database, storage] = await Promise.all([
      probe('database', () => deps.database.ping(), deps.logger),
      probe('storage', () => deps.blobs.ping(), deps.logger),
    ]);
    const ready = database.ok && storage.ok;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'unavailable',
      database: { kind: deps.database.kind, ...database },
      storage: { kind: deps.blobs.kind, ...storage },
    });
  });

  const api = Router();
  api.get('/version', (_req, res) => {
    res.json({ version: AVIARY_SCHEMA_VERSION, service: 'aviary-backup', service_version: SERVICE_VERSION });
  });
  api.get('/openapi.json', (req, res) => {
    // Where the host mounted the service: the paths below all start with /api.
    res.json(openApiDocument(req.baseUrl.replace(/\/api$/, '')));
  });
  api.get('/config', (_req, res) => {
    res.json({
      authEnabled: true,
      multiUserMode: deps.multiUser,
      proxyAuthEnabled: false,
      oidcEnabled: false,
      apiKeyEnabled: true,
      smtpConfigured: false,
      oidcSsoOnly: false,
      oidcButtonText: '',
    });
  });
  return { root, api };
}
