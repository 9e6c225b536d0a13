/**
 * Child process for the interrupted-migration test: starts the real service (whose startup task runs the
 * single-user migration) and freezes right after the STOP_AFTER_COPIES-th document was copied and verified,
 * before its original is deleted, printing `PAUSED n`. The parent then SIGKILLs it.
 */
import 'reflect-metadata';
import { writeSync } from 'node:fs';
import { createAviaryBackup } from '../../src/aviary-backup';

const stopAfter = Number(process.env.STOP_AFTER_COPIES ?? '1');
let copies = 0;
const freeze = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);

const logger = {
  info() {},
  warn() {},
  error(message: string, fields?: Record<string, unknown>) {
    writeSync(2, `${message} ${JSON.stringify(fields ?? {})}\n`);
  },
  debug(message: string) {
    if (message !== 'single-user document copied and verified') return;
    if (++copies < stopAfter) return;
    writeSync(1, `PAUSED ${copies}\n`);
    freeze();
  },
};

createAviaryBackup({ env: process.env, logger })
  .start()
  .then(() => {
    writeSync(1, 'FINISHED\n');
    process.exit(0);
  }, (error) => {
    writeSync(2, `${error?.stack ?? error}\n`);
    process.exit(1);
  });
