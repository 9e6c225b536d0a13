/**
 * One operation of the crash matrix in its own process, so a fault point can SIGKILL it on the spot.
 * The parent sets NODE_ENV=test and AVIARY_FAULT_POINT=<point>:kill (the service honours it only then),
 * MATRIX_OP (start | restore | backup | upload) and MATRIX_ARCHIVE (an archive file, for restore and upload).
 * `start` only starts the service: its startup tasks (e.g. the single-user migration) do the work.
 * Prints DONE if the operation ends without being killed (the parent then fails the case).
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import type { DatabaseBackend } from '../../../src/application/ports/database.port';
import { TOKENS } from '../../../src/application/ports/tokens';
import { ReceiveRestoreUpload } from '../../../src/application/use-cases/receive-restore-upload.use-case';
import { RestoreBackup } from '../../../src/application/use-cases/restore-backup.use-case';
import { RunBackupJob } from '../../../src/application/use-cases/run-backup-job.use-case';
import { bootService } from '../../../src/boot';
import { BACKUP_TOKENS } from '../../../src/composition/backup.module';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function* inChunks(data: Buffer, size = 16 * 1024) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function main() {
  const service = await bootService({ env: process.env, background: false, logger: silent });
  const c = service.container;
  const db = c.get<DatabaseBackend>(TOKENS.Database);
  const op = process.env.MATRIX_OP;
  if (op === 'start') {
    // bootService ran the startup tasks already.
  } else if (op === 'restore') {
    const archive = await readFile(process.env.MATRIX_ARCHIVE!);
    await c.get(RestoreBackup).execute({
      open: async () => inChunks(archive), sizeBytes: archive.length,
      overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false,
    });
  } else if (op === 'backup') {
    const workerId = c.get<string>(BACKUP_TOKENS.WorkerId);
    const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] } });
    await c.get(RunBackupJob).execute((await db.jobs.claim(job.id, workerId))!, workerId);
  } else if (op === 'upload') {
    const archive = await readFile(process.env.MATRIX_ARCHIVE!);
    await c.get(ReceiveRestoreUpload).execute({ adminUserId: process.env.MATRIX_ADMIN!, filename: 'matrix.tar.gz', body: inChunks(archive) });
  } else {
    throw new Error(`unknown MATRIX_OP ${op}`);
  }
  writeSync(1, 'DONE\n');
  await service.close();
}

main().catch((error) => {
  writeSync(2, `${error?.stack ?? error}\n`);
  process.exit(1);
});
