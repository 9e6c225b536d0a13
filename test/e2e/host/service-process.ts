/**
 * A whole service process (workers, schedules) configured by its environment, for tests that need
 * several processes or a process to kill. Logs are JSON lines on stdout; SIGTERM closes cleanly.
 * With SERVICE_PROCESS_HTTP=1 it also serves the API on a free loopback port, named in its "ready" line.
 */
import 'reflect-metadata';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createAviaryBackup } from '../../../src/aviary-backup';
import { bootService } from '../../../src/boot';

const emit = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ level, message, ...fields, pid: process.pid }) + '\n');
const logger = { debug() {}, info: emit('info'), warn: emit('warn'), error: emit('error') };

function fail(error: unknown): never {
  process.stderr.write(String((error as Error)?.stack ?? error) + '\n');
  process.exit(1);
}

async function serveHttp(): Promise<void> {
  const service = createAviaryBackup({ env: process.env, logger });
  const app = express();
  app.use(service.router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  await service.start();
  process.stdout.write(JSON.stringify({ message: 'ready', pid: process.pid, port: (server.address() as AddressInfo).port }) + '\n');
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    service.close().then(() => process.exit(0), () => process.exit(1));
  });
}

if (process.env.SERVICE_PROCESS_HTTP === '1') {
  serveHttp().catch(fail);
} else {
  bootService({ env: process.env, background: true, logger }).then(
    (service) => {
      process.stdout.write(JSON.stringify({ message: 'ready', pid: process.pid }) + '\n');
      process.on('SIGTERM', () => {
        service.close().then(() => process.exit(0), () => process.exit(1));
      });
    },
    fail,
  );
}
