import { AVIARY_SCHEMA_VERSION } from '../schema/aviary-schema';
import type { MissingDocumentsSummary } from './missing-documents';

/** Entry names of an Aviary backup archive (docs/archive-format.md). */
export const METADATA_ENTRY = 'metadata.json';
export const CHECKSUMS_ENTRY = 'checksums.sha256';
export const DATABASE_DIR = 'database/';
export const DOCUMENTS_DIR = 'filesystem/documents/';
/** Aviary < 1.6 kept pairing files beside the documents. */
export const LEGACY_CONFIGS_DIR = 'filesystem/configs/';

export const tableEntry = (table: string) => `${DATABASE_DIR}${table}.json`;
export const documentEntry = (userId: string, relativePath: string) => `${DOCUMENTS_DIR}${userId}/${relativePath}`;

/** Our archive format revision, written as an extra metadata field (Aviary ignores it). */
export const ARCHIVE_FORMAT = 'aviary-backup/1';

export interface ArchiveMetadata {
  aviary_version: string;
  git_commit: string;
  export_timestamp: string;
  database_type: string;
  users_exported: string[];
  total_documents: number;
  total_size_bytes: number;
  exported_tables: string[];
  total_users: number;
  total_api_keys: number;
  // Ours; Aviary ignores unknown fields.
  format: string;
  service_version: string;
  tables: Record<string, number>;
  include_files: boolean;
  include_configs: boolean;
  selective: boolean;
  /** Present when document rows point at files that were not in storage. */
  missing_documents?: MissingDocumentsSummary;
}

export interface MetadataInput {
  readonly exportedAt: Date;
  readonly databaseType: string;
  readonly usersExported: readonly string[];
  readonly totalDocuments: number;
  readonly totalSizeBytes: number;
  readonly tableRowCounts: Readonly<Record<string, number>>;
  readonly serviceVersion: string;
  readonly includeFiles: boolean;
  readonly includeConfigs: boolean;
  readonly selective: boolean;
  readonly missingDocuments?: MissingDocumentsSummary | null;
}

/** Field order matters to nobody but humans reading the file; it follows Aviary's. */
export function buildMetadata(input: MetadataInput): ArchiveMetadata {
  return {
    aviary_version: AVIARY_SCHEMA_VERSION,
    git_commit: 'aviary-backup',
    export_timestamp: input.exportedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    database_type: input.databaseType,
    users_exported: [...input.usersExported],
    total_documents: input.totalDocuments,
    total_size_bytes: input.totalSizeBytes,
    exported_tables: Object.keys(input.tableRowCounts),
    total_users: input.tableRowCounts.users ?? 0,
    total_api_keys: input.tableRowCounts.api_keys ?? 0,
    format: ARCHIVE_FORMAT,
    service_version: input.serviceVersion,
    tables: { ...input.tableRowCounts },
    include_files: input.includeFiles,
    include_configs: input.includeConfigs,
    selective: input.selective,
    ...(input.missingDocuments ? { missing_documents: input.missingDocuments } : {}),
  };
}

/** The one archive format: gzip-compressed POSIX tar (docs/archive-format.md). */
export const ARCHIVE_EXTENSION = '.tar.gz';
export const ARCHIVE_CONTENT_TYPE = 'application/gzip';

/** `aviary_backup_YYYYMMDD_HHMMSS.tar.gz` in UTC, with `_N` when that name is taken. */
export function backupFilename(at: Date, attempt = 0): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}_` +
    `${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
  return `aviary_backup_${stamp}${attempt > 0 ? `_${attempt + 1}` : ''}${ARCHIVE_EXTENSION}`;
}

export { checksumLine } from './checksum-line';
