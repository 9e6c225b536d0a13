import { ValidateArchive } from '../../src/application/use-cases/validate-archive.use-case';
import { TarGzArchiveReader } from '../../src/adapters/archive/tar-gz.archive-reader';

/** The archive-only check RunBackupJob re-reads a finished backup with, as the service wires it. */
export function archiveCheck(): ValidateArchive {
  return new ValidateArchive(new TarGzArchiveReader(), null, { now: () => new Date() });
}
