import {
  buildMetadata, CHECKSUMS_ENTRY, checksumLine, DOCUMENTS_DIR, METADATA_ENTRY, tableEntry,
} from '../../domain/archive/archive-format';
import { MissingDocuments, missingDocumentsWarning, type MissingDocumentsSummary } from '../../domain/archive/missing-documents';
import { tableJsonChunks } from '../../domain/archive/table-json';
import type { BackupOptions } from '../../domain/backup-job';
import { isDomainError } from '../../domain/errors';
import type { AviaryTableName } from '../../domain/schema/aviary-schema';
import type { Row, TableDef } from '../../domain/schema/column';
import type { ArchiveEncoder, ArchiveSourceEntry, EncodedEntry, StagedBody } from '../ports/archive-encoder.port';
import type { BlobStore, ByteStream } from '../ports/blob-store.port';
import type { FaultPoints } from '../ports/fault-points.port';
import type { RecordReader, RecordStore, TableJsonChunk } from '../ports/record-store.port';
import type { Clock, Logger } from '../ports/system.port';
import { BackupMeter, type BackupProgress } from './create-backup/backup-meter';
import { planBackup, type BackupPlan, type FilePlan } from './create-backup/backup-plan';
import { rowPages } from './row-pages';

export type { BackupProgress } from './create-backup/backup-meter';

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

interface StagedTable {
  readonly name: string;
  readonly rows: number;
  readonly body: StagedBody;
}

/** What a run collects on the way: the archive's entries as written, and what went wrong softly. */
interface Run {
  readonly plan: BackupPlan;
  readonly meter: BackupMeter;
  readonly signal?: AbortSignal;
  readonly warnings: string[];
  readonly digests: EncodedEntry[];
}

const TAR_BLOCK = 512;
const tarSize = (size: number) => TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;

/**
 * Writes an Aviary backup archive (docs/archive-format.md): metadata first, the tables from one
 * read snapshot, the documents streamed from the blob store, then checksums.sha256. Metadata names
 * each table's row count and the document rows without files, so the tables are read (once) and
 * staged by the encoder before the archive starts; nothing is held whole in memory.
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
    const { options } = input;
    const meter = new BackupMeter(input.onProgress);
    meter.enter('planning');
    const plan = await planBackup(reader, this.blobs, options);
    const run: Run = { plan, meter, signal: input.signal, warnings: [], digests: [] };
    const staged: StagedTable[] = [];
    try {
      meter.enter('database');
      const missing = options.includeFiles ? new MissingDocuments(new Set(plan.files.map((f) => f.key))) : null;
      await this.stageTables(reader, run, options.includeConfigs, missing, staged);
      const missingDocuments = missing?.summary() ?? null;
      if (missingDocuments) {
        run.warnings.push(missingDocumentsWarning(missingDocuments));
        this.logger.warn('document rows without files', { count: missingDocuments.count, examples: missingDocuments.examples });
      }
      const metadata = this.metadata(plan, options, staged, missingDocuments);
      meter.archiveSize(archiveSize(metadata.length, staged, plan.files));
      let archiveBytes = 0;
      const archive = this.encoder.encode(this.entries(run, metadata, staged), {
        onEntry: (entry) => run.digests.push(entry),
        onBytes: (uncompressed, compressed) => {
          archiveBytes = compressed;
          meter.encodedBytes(uncompressed);
        },
      });
      await input.sink(archive);
      meter.finish();
      return {
        tables: Object.fromEntries(staged.map((t) => [t.name, t.rows])),
        documents: run.digests.filter((d) => d.name.startsWith(DOCUMENTS_DIR)).length,
        documentBytes: plan.documentBytes,
        usersExported: plan.users.map((u) => u.id),
        warnings: run.warnings,
        archiveBytes,
      };
    } finally {
      for (const table of staged) await table.body.close();
    }
  }

  /**
   * Each table's file, written once by the encoder's stage. Document rows are compared with the
   * stored files on the way; without configs, pairing files are blanked.
   */
  private async stageTables(reader: RecordReader, run: Run, includeConfigs: boolean, missing: MissingDocuments | null, staged: StagedTable[]): Promise<void> {
    const { plan, meter } = run;
    const counts = new Map<string, number>();
    for (const table of plan.tables) counts.set(table.name, await reader.count(table.name as AviaryTableName, plan.filters.get(table.name)));
    const rowsTotal = [...counts.values()].reduce((a, b) => a + b, 0);
    const knownBytes = archiveSize(0, [], plan.files);
    let rowsDone = 0;
    for (const table of plan.tables) {
      run.signal?.throwIfAborted();
      const before = rowsDone;
      const file = this.tableFile(reader, table, run, includeConfigs, missing, (n) => (rowsDone += n));
      const chunks = metered(file, (bytes) => meter.staging(bytes, rowsDone, Math.max(0, rowsTotal - rowsDone), knownBytes));
      const body = await this.encoder.stage(chunks);
      staged.push({ name: table.name, rows: rowsDone - before, body });
    }
  }

  /**
   * A table file's bytes: written by the store when it can and no row has to be looked at on the
   * way (document rows checked against files, pairing files blanked), else encoded here from rows.
   */
  private tableFile(
    reader: RecordReader, table: TableDef, run: Run, includeConfigs: boolean, missing: MissingDocuments | null, onRows: (n: number) => void,
  ): AsyncIterable<Uint8Array> {
    const rowsNeeded = (table.name === 'documents' && missing !== null) || (table.name === 'users' && !includeConfigs);
    if (reader.tableJson && !rowsNeeded) return storeTableFile(reader.tableJson(table.name as AviaryTableName, run.plan.filters.get(table.name)), run, onRows);
    return tableJsonChunks(this.tablePages(reader, table, run, includeConfigs, missing, onRows), table.columns);
  }

  private async *tablePages(
    reader: RecordReader, table: TableDef, run: Run, includeConfigs: boolean, missing: MissingDocuments | null, onRows: (n: number) => void,
  ): AsyncGenerator<readonly Row[]> {
    for await (const page of rowPages(reader, table.name as AviaryTableName, run.plan.filters.get(table.name))) {
      run.signal?.throwIfAborted();
      if (table.name === 'documents' && missing) for (const row of page) missing.check(row);
      onRows(page.length);
      yield table.name === 'users' && !includeConfigs ? page.map((row) => ({ ...row, rmapi_config: '' })) : page;
    }
  }

  private metadata(plan: BackupPlan, options: BackupOptions, staged: readonly StagedTable[], missingDocuments: MissingDocumentsSummary | null): Uint8Array {
    const metadata = buildMetadata({
      exportedAt: this.clock.now(),
      databaseType: this.records.kind,
      usersExported: plan.users.map((u) => u.id),
      totalDocuments: plan.documentCount,
      totalSizeBytes: plan.documentBytes,
      tableRowCounts: Object.fromEntries(staged.map((t) => [t.name, t.rows])),
      serviceVersion: this.serviceVersion,
      includeFiles: options.includeFiles,
      includeConfigs: options.includeConfigs,
      selective: options.userIds.length > 0 || options.tables.length > 0,
      missingDocuments,
    });
    return new TextEncoder().encode(JSON.stringify(metadata, null, 2) + '\n');
  }

  private async *entries(run: Run, metadata: Uint8Array, staged: readonly StagedTable[]): AsyncGenerator<ArchiveSourceEntry> {
    yield { name: METADATA_ENTRY, size: metadata.length, body: metadata };
    for (const table of staged) yield { name: tableEntry(table.name), size: table.body.size, body: table.body.read() };
    run.meter.enter('documents');
    let written = 0;
    for (const file of run.plan.files) {
      run.signal?.throwIfAborted();
      const entry = await this.openFile(file, run);
      if (entry) yield entry;
      if (++written === 1) await this.faults?.reach('backup.mid-documents');
    }
    run.meter.enter('finalizing');
    const manifest = new TextEncoder().encode(run.digests.map((d) => checksumLine(d.sha256, d.name)).join(''));
    yield { name: CHECKSUMS_ENTRY, size: manifest.length, body: manifest };
  }

  /** A document deleted since planning is a warning, not a failure; one that changed size is re-sized. */
  private async openFile(file: FilePlan, run: Run): Promise<ArchiveSourceEntry | null> {
    const vanished = () => {
      run.warnings.push(`${file.key} was deleted during the backup and is not in the archive`);
      this.logger.warn('document vanished during backup', { key: file.key });
      return null;
    };
    try {
      const info = await this.blobs.stat(file.key);
      if (!info) return vanished();
      return { name: file.name, size: info.size, mtime: info.modifiedAt, body: await this.blobs.get(file.key, { signal: run.signal }) };
    } catch (error) {
      if (isDomainError(error) && error.code === 'blob_not_found') return vanished();
      throw error;
    }
  }
}

/** The uncompressed tar size: every entry's header and padded body, the manifest, the end marker. */
function archiveSize(metadataBytes: number, staged: readonly StagedTable[], files: readonly FilePlan[]): number {
  const names = [METADATA_ENTRY, ...staged.map((t) => tableEntry(t.name)), ...files.map((f) => f.name)];
  const manifestBytes = names.reduce((sum, name) => sum + new TextEncoder().encode(checksumLine('0'.repeat(64), name)).length, 0);
  return (
    tarSize(metadataBytes) +
    staged.reduce((sum, t) => sum + tarSize(t.body.size), 0) +
    files.reduce((sum, f) => sum + tarSize(f.size), 0) +
    tarSize(manifestBytes) +
    2 * TAR_BLOCK
  );
}

async function* storeTableFile(chunks: AsyncIterable<TableJsonChunk>, run: Run, onRows: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    run.signal?.throwIfAborted();
    onRows(chunk.rows);
    yield chunk.bytes;
  }
}

async function* metered(chunks: AsyncIterable<Uint8Array>, onBytes: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}
