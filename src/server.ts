import 'reflect-metadata';
import express from 'express';
import type { Server } from 'node:http';
import { createAviaryBackup } from './aviary-backup';
import { isConfigError, loadConfig } from './adapters/config/app-config';
import { createRegistryFromEnv } from './plugins/builtin';

/**
 * The standalone program: config → listen → start → graceful stop. The port is taken before the
 * service starts (the router answers 503 meanwhile), so a busy port fails before any migration,
 * first admin or "ready" line.
 */
async function main(): Promise<void> {
  const env = process.env;
  let port: number;
  try {
    port = loadConfig(env, await createRegistryFromEnv(env, process.cwd())).port;
  } catch (error) {
    fail(error);
  }
  const service = createAviaryBackup({ env });
  const app = express();
  app.disable('x-powered-by');
  app.use(service.router);
  const server: Server = await listen(app, port).catch((error: Error) => {
    process.stderr.write(`aviary-backup: cannot listen on port ${port}: ${error.message}\n`);
    process.exit(1);
  });
  // Restore uploads may be many gigabytes on a slow link: Node's 5-minute default would cut them off.
  server.requestTimeout = 0;
  server.on('error', (error) => process.stderr.write(`aviary-backup: server error: ${error.message}\n`));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`aviary-backup: ${signal} received, shutting down\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    server.close(() => {
      service.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await service.start();
  } catch (error) {
    server.close();
    fail(error);
  }
  process.stderr.write(`aviary-backup listening on http://localhost:${port} (data in ${service.config!.dataDir})\n`);
}

function listen(app: express.Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
}

function fail(error: unknown): never {
  if (isConfigError(error)) {
    process.stderr.write(`aviary-backup: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`aviary-backup: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

void main();
