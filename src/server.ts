import 'reflect-metadata';
import express from 'express';
import type { Server } from 'node:http';
import { createAviaryBackup } from './aviary-backup';
import { ConfigError } from './adapters/config/app-config';

/** The standalone program: config → container → express → listen → graceful stop. */
async function main(): Promise<void> {
  const service = createAviaryBackup({ env: process.env });
  try {
    await service.start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`aviary-backup: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`aviary-backup: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const config = service.config!;
  const app = express();
  app.disable('x-powered-by');
  app.use(service.router);
  const server: Server = app.listen(config.port, () => {
    process.stderr.write(`aviary-backup listening on http://localhost:${config.port} (data in ${config.dataDir})\n`);
  });
  // Restore uploads may be many gigabytes on a slow link: Node's 5-minute default would cut them off.
  server.requestTimeout = 0;
  server.on('error', (error) => {
    process.stderr.write(`aviary-backup: cannot listen on port ${config.port}: ${error.message}\n`);
    process.exit(1);
  });

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
}

void main();
