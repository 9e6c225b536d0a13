/**
 * A whole service process (workers, schedules) configured by its environment, for tests that need
 * several processes or a process to kill. Logs are JSON lines on stdout; SIGTERM closes cleanly.
 */
import 'reflect-metadata';
import { bootService } from '../../../src/boot';

const emit = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ level, message, ...fields, pid: process.pid }) + '\n');
const logger = { debug() {}, info: emit('info'), warn: emit('warn'), error: emit('error') };

bootService({ env: process.env, background: true, logger }).then(
  (service) => {
    process.stdout.write(JSON.stringify({ message: 'ready', pid: process.pid }) + '\n');
    process.on('SIGTERM', () => {
      service.close().then(() => process.exit(0), () => process.exit(1));
    });
  },
  (error) => {
    process.stderr.write(String(error?.stack ?? error) + '\n');
    process.exit(1);
  },
);
