import type { Container } from 'inversify';
import type { ArchiveReader } from '../application/ports/archive-reader.port';
import type { DatabaseBackend } from '../application/ports/database.port';
import type { Clock } from '../application/ports/system.port';
import { TOKENS } from '../application/ports/tokens';
import { ValidateArchive } from '../application/use-cases/validate-archive.use-case';
import { TarGzArchiveReader } from '../adapters/archive/tar-gz.archive-reader';

export const ARCHIVE_TOKENS = {
  Reader: Symbol.for('aviary.ArchiveReader'),
} as const;

/** The archive reader and ValidateArchive, shared by backups (verification), uploads (analysis) and restores. */
export function archiveModule(c: Container): void {
  c.bind<ArchiveReader>(ARCHIVE_TOKENS.Reader).toConstantValue(new TarGzArchiveReader());
  c.bind(ValidateArchive).toResolvedValue(
    (reader: ArchiveReader, db: DatabaseBackend, clock: Clock) => new ValidateArchive(reader, db.records, clock),
    [ARCHIVE_TOKENS.Reader, TOKENS.Database, TOKENS.Clock],
  );
}
