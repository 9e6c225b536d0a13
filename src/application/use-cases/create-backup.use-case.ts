import {
  buildMetadata, CHECKSUMS_ENTRY, checksumLine, documentEntry, DOCUMENTS_DIR, LEGACY_CONFIGS_DIR, METADATA_ENTRY, tableEntry,
} from '../../domain/archive/archive-format';
import { MissingDocuments, missingDocumentsWarning } from '../../domain/archive/missing-documents';
import { byteLength, tableJsonChunks } from '../../domain/archive/table-json';
import { assertKnownTables, type BackupOptions, type BackupPhase } from '../../domain/backup-job';
import { InvalidInputError, isDomainError } from '../../domain/errors';
import { AVIARY_TABLES, AviaryTableName } from '../../domain/schema/aviary-schema';
import type { Row, TableDef } from '../../domain/schema/column';
import { StorageKeys } from '../../domain/storage-key';
import type { ArchiveEncoder, ArchiveSourceEntry, EncodedEntry } from '../ports/archive-encoder.port';
import type { BlobStore, ByteStream } from '../ports/blob-store.port';
import type { FaultPoints } from '../ports/fault-points.port';
import type { RecordReader, RecordStore, RowFilter } from '../ports/record-store.port';
import type { Clock, Logger } from '../ports/system.port';
import { listAll } from './blob-listing';

export interface BackupProgress {
  readonly phase: BackupPhase;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface CreateBackupInput {
  readonly options: BackupOptions;
  /** Receives the archive bytes; resolves when they are stored. */
  readonly sink: (archive: ByteStream) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
}

export interface CreateBackupResult {
  readonly tables: Record<string, number>;
  readonly documents: number;
  readonly documentBytes: number;
  readonly usersExported: readonly string[];
  readonly warnings: readonly string[];
  readonly archiveBytes: number;
}

interface DocumentPlan {
  readonly key: string;
  readonly name: string;
  readonly size: number;
}

const TAR_BLOCK = 512;
const tarSize = (size: number) => TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;

/**
 * Writes an Aviary backup archive (docs/archive-format.md) in one pass: metadata first, the tables streamed from
 * one read snapshot, the documents streamed from the blob store, then checksums.sha256. Each table
 * is serialised twice inside that snapshot: once to learn its exact size for the tar header, once
 * to write it; nothing is staged on disk or held whole in memory.
 */
export class CreateBackup {
  constructor(
    private readonly records: RecordStore,
    private readonly blobs: BlobStore,
    private readonly encoder: ArchiveEncoder,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly serviceVersion: string,
    private readonly faults?: FaultPoints,
  ) {}

  execute(input: CreateBackupInput): Promise<CreateBackupResult> {
    return this.records.readSnapshot((reader) => this.write(reader, input));
  }

  private async write(reader: RecordReader, input: CreateBackupInput): Promise<CreateBackupResult> {
    const { options, signal } = input;
    const report = (phase: BackupPhase, bytesDone: number, bytesTotal: number) => input.onProgress?.({ phase, bytesDone, bytesTotal });
    report('planning', 0, 0);

    const users = await this.selectedUsers(reader, options.userIds);
    const tables = this.selectedTables(options.tables);
    const filters = this.filters(options.userIds.length > 0, users);
    const transform = options.includeConfigs ? undefined : blankPairing;

    const documents = options.includeFiles ? await this.planDocuments(users.map((u) => u.id)) : [];
    const configs = options.includeConfigs ? await this.planLegacyConfigs(users.map((u) => u.id)) : [];
    const documentBytes = documents.reduce((sum, d) => sum + d.size, 0);
    // Rows are compared with the stored files during the sizing pass, which reads every row anyway.
    const missing = options.includeFiles ? new MissingDocuments(new Set(documents.map((d) => d.key))) : null;

    const tableSizes = new Map<string, number>();
    const tableRows: Record<string, number> = {};
    for (const table of tables) {
      signal?.throwIfAborted();
      tableRows[table.name] = await reader.count(table.name as AviaryTableName, filters.get(table.name));
      const tap = table.name === 'documents' && missing ? (_t: string, row: Row) => (missing.check(row), transform ? transform(_t, row) : row) : transform;
      tableSizes.set(table.name, await byteLength(this.tableChunks(reader, table, filters, tap)));
    }
    const missingDocuments = missing?.summary() ?? null;
    const warnings: string[] = missingDocuments ? [missingDocumentsWarning(missingDocuments)] : [];
    if (missingDocuments) this.logger.warn('document rows without files', { count: missingDocuments.count, examples: missingDocuments.examples });

    const metadata = buildMetadata({
      exportedAt: this.clock.now(),
      databaseType: this.records.kind,
      usersExported: users.map((u) => u.id),
      totalDocuments: documents.length,
      totalSizeBytes: documentBytes,
      tableRowCounts: tableRows,
      serviceVersion: this.serviceVersion,
      includeFiles: options.includeFiles,
      includeConfigs: options.includeConfigs,
      selective: options.userIds.length > 0 || options.tables.length > 0,
      missingDocuments,
    });
    const metadataBytes = new TextEncoder().encode(JSON.stringify(metadata, null, 2) + '\n');
    const bytesTotal =
      tarSize(metadataBytes.length) +
      [...tableSizes.values()].reduce((s, n) => s + tarSize(n), 0) +
      [...documents, ...configs].reduce((s, d) => s + tarSize(d.size), 0) +
      tarSize(100 * (tables.length + documents.length + configs.length + 1)) +
      2 * TAR_BLOCK;

    const digests: EncodedEntry[] = [];
    let phase: BackupPhase = 'database';
    let archiveBytes = 0;
    let bytesDone = 0;
    const enter = (next: BackupPhase) => {
      phase = next;
      report(phase, bytesDone, Math.max(bytesTotal, bytesDone));
    };
    const self = this;
    async function* entries(): AsyncGenerator<ArchiveSourceEntry> {
      enter('database');
      yield { name: METADATA_ENTRY, size: metadataBytes.length, body: metadataBytes };
      for (const table of tables) {
        yield { name: tableEntry(table.name), size: tableSizes.get(table.name)!, body: self.tableChunks(reader, table, filters, transform) };
      }
      enter('documents');
      let written = 0;
      for (const doc of [...documents, ...configs]) {
        signal?.throwIfAborted();
        const entry = await self.openDocument(doc, warnings, signal);
        if (entry) yield entry;
        if (++written === 1) await self.faults?.reach('backup.mid-documents');
      }
      enter('finalizing');
      const manifest = new TextEncoder().encode(digests.map((d) => checksumLine(d.sha256, d.name)).join(''));
      yield { name: CHECKSUMS_ENTRY, size: manifest.length, body: manifest };
    }

    const archive = this.encoder.encode(entries(), {
      onEntry: (entry) => digests.push(entry),
      onBytes: (uncompressed, compressed) => {
        archiveBytes = compressed;
        bytesDone = uncompressed;
        report(phase, uncompressed, Math.max(bytesTotal, uncompressed));
      },
    });
    await input.sink(archive);
    report('done', Math.max(bytesTotal, bytesDone), Math.max(bytesTotal, bytesDone));
    return {
      tables: tableRows,
      documents: digests.filter((d) => d.name.startsWith(DOCUMENTS_DIR)).length,
      documentBytes,
      usersExported: users.map((u) => u.id),
      warnings,
      archiveBytes,
    };
  }

  /** The selected users (all when none were asked for); unknown ids are the caller's error. */
  private async selectedUsers(reader: RecordReader, userIds: readonly string[]): Promise<{ id: string; username: string }[]> {
    const filter = userIds.length > 0 ? { column: 'id', in: userIds.map((id) => id.toLowerCase()) } : undefined;
    const found: { id: string; username: string }[] = [];
    for await (const row of reader.stream('users', filter)) found.push({ id: String(row.id), username: String(row.username) });
    if (filter) {
      const missing = filter.in.filter((id) => !found.some((u) => u.id === id));
      if (missing.length > 0) throw new InvalidInputError('invalid_user_ids', `Unknown user id(s): ${missing.join(', ')}`);
    }
    return found;
  }

  private selectedTables(names: readonly string[]): TableDef[] {
    if (names.length === 0) return [...AVIARY_TABLES];
    assertKnownTables(names);
    return AVIARY_TABLES.filter((t) => names.includes(t.name));
  }

  /** A selection keeps its users' rows in per-user tables, their login attempts and all settings. */
  private filters(selective: boolean, users: readonly { id: string; username: string }[]): Map<string, RowFilter> {
    const filters = new Map<string, RowFilter>();
    if (!selective) return filters;
    const ids = users.map((u) => u.id);
    for (const table of AVIARY_TABLES) {
      if (table.userColumn) filters.set(table.name, { column: table.userColumn, in: ids });
    }
    filters.set('login_attempts', { column: 'username', in: users.map((u) => u.username) });
    return filters;
  }

  private tableChunks(reader: RecordReader, table: TableDef, filters: Map<string, RowFilter>, transform?: (t: string, r: Row) => Row) {
    const rows = reader.stream(table.name as AviaryTableName, filters.get(table.name));
    return tableJsonChunks(transform ? mapRows(rows, (r) => transform(table.name, r)) : rows, table.columns);
  }

  private async planDocuments(userIds: readonly string[]): Promise<DocumentPlan[]> {
    const plan: DocumentPlan[] = [];
    for (const userId of userIds) {
      const prefix = StorageKeys.userDocumentsPrefix(userId);
      for await (const blob of listAll(this.blobs, prefix)) {
        plan.push({ key: blob.key, name: documentEntry(userId, blob.key.slice(prefix.length)), size: blob.size });
      }
    }
    return plan;
  }

  /** Aviary < 1.6 pairing files, kept where they still exist. */
  private async planLegacyConfigs(userIds: readonly string[]): Promise<DocumentPlan[]> {
    const plan: DocumentPlan[] = [];
    for (const userId of userIds) {
      const info = await this.blobs.stat(StorageKeys.legacyPairingFile(userId));
      if (info) plan.push({ key: info.key, name: `${LEGACY_CONFIGS_DIR}${userId}/rmapi.conf`, size: info.size });
    }
    return plan;
  }

  /** A document deleted since planning is a warning, not a failure; one that changed size is re-sized. */
  private async openDocument(doc: DocumentPlan, warnings: string[], signal?: AbortSignal): Promise<ArchiveSourceEntry | null> {
    try {
      const info = await this.blobs.stat(doc.key);
      if (!info) {
        warnings.push(`${doc.key} was deleted during the backup and is not in the archive`);
        this.logger.warn('document vanished during backup', { key: doc.key });
        return null;
      }
      return { name: doc.name, size: info.size, mtime: info.modifiedAt, body: await this.blobs.get(doc.key, { signal }) };
    } catch (error) {
      if (isDomainError(error) && error.code === 'blob_not_found') {
        warnings.push(`${doc.key} was deleted during the backup and is not in the archive`);
        return null;
      }
      throw error;
    }
  }
}

function blankPairing(table: string, row: Row): Row {
  return table === 'users' ? { ...row, rmapi_config: '' } : row;
}

async function* mapRows(rows: AsyncIterable<Row>, fn: (row: Row) => Row): AsyncGenerator<Row> {
  for await (const row of rows) yield fn(row);
}
