/**
 * Runs one restore of the archive file given in RESTORE_ARCHIVE, in its own process, with storage
 * moves slowed down (SLOW_MOVES_MS) so a test can kill it in the middle of the file swap.
 * Prints {"message":"swapping"} at the first move of a staged file.
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import type { BlobStore } from '../../../src/application/ports/blob-store.port';
import { TOKENS } from '../../../src/application/ports/tokens';
import { RestoreBackup } from '../../../src/application/use-cases/restore-backup.use-case';
import { bootService } from '../../../src/boot';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function main() {
  const service = await bootService({ env: process.env, background: false, logger: silent });
  const archive = await readFile(process.env.RESTORE_ARCHIVE!);
  const blobs = service.container.get<BlobStore>(TOKENS.BlobStore);
  const slow = Object.create(blobs) as BlobStore;
  let announced = false;
  slow.move = async (from, to) => {
    if (from.includes('/staged/') && !announced) {
      announced = true;
      process.stdout.write(JSON.stringify({ message: 'swapping' }) + '\n');
    }
    await new Promise((r) => setTimeout(r, Number(process.env.SLOW_MOVES_MS ?? 0)));
    return blobs.move(from, to);
  };
  const deps = (service.container.get(RestoreBackup) as unknown as { d: ConstructorParameters<typeof RestoreBackup>[0] }).d;
  await new RestoreBackup({ ...deps, blobs: slow }).execute({
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
