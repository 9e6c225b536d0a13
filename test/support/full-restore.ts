import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { RestoreInput } from '../../src/application/use-cases/restore-backup.use-case';

/** A full restore (database and files, every user, no safety backup) of an archive file. */
export async function fullRestoreOf(file: string): Promise<RestoreInput> {
  return {
    open: async () => createReadStream(file),
    sizeBytes: (await stat(file)).size,
    overwriteDatabase: true,
    overwriteFiles: true,
    userIds: [],
    adminUserId: null,
    safetyBackup: false,
  };
}
