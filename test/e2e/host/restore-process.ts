/**
 * Runs one restore of the archive file given in RESTORE_ARCHIVE, in its own process, so that a test can
 * stop it with a fault point (NODE_ENV=test, AVIARY_FAULT_POINT=<point>:kill) at an exact step.
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { RestoreBackup } from '../../../src/application/use-cases/restore-backup.use-case';
import { bootService } from '../../../src/boot';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function main() {
  const service = await bootService({ env: process.env, background: false, logger: silent });
  const archive = await readFile(process.env.RESTORE_ARCHIVE!);
  await service.container.get(RestoreBackup).execute({
    open: async () => (async function* () { yield archive; })(),
    overwriteDatabase: true,
    overwriteFiles: true,
    userIds: [],
    adminUserId: null,
    safetyBackup: false,
  });
  process.stdout.write(JSON.stringify({ message: 'restored' }) + '\n');
  await service.close();
}

main().catch((error) => {
  process.stderr.write(String(error?.stack ?? error) + '\n');
  process.exit(1);
});
