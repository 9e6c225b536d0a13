import type { BootedService } from '../../src/boot';
import { CreateBackup, type CreateBackupInput } from '../../src/application/use-cases/create-backup.use-case';

const EVERYTHING: CreateBackupInput['options'] = { includeFiles: true, includeConfigs: true, userIds: [], tables: [] };

/** A backup of the service's current state by its own CreateBackup (everything unless `options` say less), as bytes. */
export async function backupBytes(service: BootedService, options: CreateBackupInput['options'] = EVERYTHING): Promise<Buffer> {
  const parts: Buffer[] = [];
  await service.container.get(CreateBackup).execute({
    options,
    sink: async (bytes) => {
      for await (const c of bytes) parts.push(Buffer.from(c));
    },
  });
  return Buffer.concat(parts);
}
