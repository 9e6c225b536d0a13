import { METADATA_ENTRY, tableEntry } from '../../../domain/archive/archive-format';
import { isDomainError } from '../../../domain/errors';
import { AVIARY_TABLE_NAMES, tableDef } from '../../../domain/schema/aviary-schema';
import type { Row, TableDef } from '../../../domain/schema/column';
import type { ArchiveEntry, ArchiveReader } from '../../ports/archive-reader.port';
import type { ByteStream } from '../../ports/blob-store.port';
import { ChecksumCheck } from './checksum-check';
import { FileTally } from './file-tally';
import { Findings } from './findings';
import { missingDocumentsWarning } from '../../../domain/archive/missing-documents';
import { checkMetadata, type ArchiveMetadataRead } from './metadata-check';
import { checkReferences, checkTable, TableFacts } from './table-check';
import { asCompanion, CompanionFailure, type PassCompanion } from './pass-companion';
import { lines, readText, StreamFailure } from './text-body';

const MAX_CHECKSUM_LINE = 8192;

/**
 * The state of one validation pass: what each entry contributes as it streams by, and the checks
 * that can only run once the last entry has been read (references, checksums, counts).
 */
export class ArchiveInspection {
  readonly findings = new Findings();
  readonly facts = new TableFacts();
  readonly files = new FileTally();
  readonly checksums: ChecksumCheck;
  metadata: ArchiveMetadataRead | undefined;
  /** Ours: false when the backup was made without files. */
  includeFiles: boolean | undefined;
  /** Files handed over so far (the reader's own count is lost when it fails). */
  entriesSeen = 0;
  private metadataSeen = false;

  constructor(
    private readonly reader: ArchiveReader,
    private readonly companion?: PassCompanion,
  ) {
    this.checksums = new ChecksumCheck(this.findings, reader.limits.maxEntries);
  }

  readonly onEntry = async (entry: ArchiveEntry): Promise<void> => {
    this.entriesSeen++;
    switch (entry.kind) {
      case 'metadata':
        return this.content(entry, async (body) => this.takeMetadata(await readText(body)));
      case 'table': {
        const def = tableDef(entry.table ?? '');
        if (!def) return;
        this.companion?.tableStarts(def);
        const rows = (body: ByteStream) => this.reader.rows({ name: entry.name, body });
        const check = (body: ByteStream) => checkTable(entry.name, def, rows(body), this.facts, this.findings, this.companionRows(def));
        await this.content(entry, check, () => this.facts.broken.add(def.name));
        if (this.companion?.tableEnds && !this.facts.broken.has(def.name)) await asCompanion(() => this.companion!.tableEnds!(def));
        return;
      }
      case 'checksums':
        return this.content(entry, (body) => this.checksums.read(lines(body, MAX_CHECKSUM_LINE)));
      case 'document':
        this.files.addDocument(entry.userId ?? '', entry.size);
        return this.fileAlongside(entry);
      case 'legacy-config':
        this.files.addLegacyConfig(entry.userId ?? '', entry.size);
        return this.fileAlongside(entry);
      case 'ignored':
        return this.unknownTable(entry);
    }
  };

  /**
   * A file entry to the companion. When the archive's own bytes fail under it (truncated, corrupt),
   * that is the archive's fault, rethrown as it is; anything else the companion throws is its own.
   */
  private async fileAlongside(entry: ArchiveEntry): Promise<void> {
    if (!this.companion) return;
    const stream = new StreamFailure();
    try {
      await this.companion.file({ ...entry, body: stream.watch(entry.body) });
    } catch (error) {
      throw stream.happened ? stream.error : new CompanionFailure(error);
    }
  }

  /** Where validation hands each canonical row of the table: to the companion, when there is one. */
  private companionRows(def: TableDef): ((row: Row) => Promise<void>) | undefined {
    const companion = this.companion;
    return companion && ((row) => asCompanion(() => companion.row(def, row)));
  }

  /** A table file of a newer Aviary: only whether it holds rows matters (they would be dropped). */
  private async unknownTable(entry: ArchiveEntry): Promise<void> {
    const m = /^database\/([^/]+)\.json$/.exec(entry.name);
    if (!m || m[1] === 'unknown') return; // database/unknown.json is an old Aviary bug, never data
    const decoder = new TextDecoder('latin1');
    let head = '';
    for await (const chunk of entry.body) {
      head += decoder.decode(chunk, { stream: true }).replace(/\s+/g, '');
      if (head.length >= 2) break;
    }
    // `null`, `[]` and an empty file hold nothing; anything else is data this service would drop.
    const empty = head === '' || head.startsWith('n') || head.startsWith('[]') || head === '[';
    if (!empty) this.facts.unknownTablesWithRows.add(m[1]);
  }

  /**
   * Runs a content check. Problems with the content are recorded and reading goes on (every
   * problem gets reported); a failure of the archive stream itself is rethrown (reading stops).
   */
  private async content(entry: ArchiveEntry, work: (body: ByteStream) => Promise<void>, onBroken?: () => void): Promise<void> {
    const stream = new StreamFailure();
    try {
      await work(stream.watch(entry.body));
    } catch (error) {
      if (stream.happened) throw stream.error;
      if (error instanceof CompanionFailure) throw error;
      onBroken?.();
      const e = error as Error & { code?: string };
      if (isDomainError(error)) this.findings.error(error.message, entry.name);
      else if (e?.code === 'ERR_ENCODING_INVALID_ENCODED_DATA') this.findings.error(`Entry ${JSON.stringify(entry.name)}: is not valid UTF-8`, entry.name);
      else this.findings.error(`Entry ${JSON.stringify(entry.name)}: ${e?.message ?? String(error)}`, entry.name);
    }
  }

  private takeMetadata(text: string): void {
    this.metadataSeen = true;
    const { metadata, problems, includeFiles, includeConfigs } = checkMetadata(text);
    this.includeFiles = includeFiles;
    for (const p of problems) this.findings.error(p, METADATA_ENTRY);
    this.metadata = metadata;
    this.companion?.metadata({ includeFiles, includeConfigs, totalDocuments: metadata?.total_documents });
  }

  /** The checks that need the whole archive; only meaningful when it was read to the end. */
  /** `kept`: the current users (those a restore without a users table keeps), null when unknown. */
  finish(kept: ReadonlySet<string> | null): { files: number; bytes: number; legacyUsed: string[] } {
    if (!this.metadataSeen) this.findings.error(`${METADATA_ENTRY} is missing: this is not an Aviary backup, or it is incomplete`);
    checkReferences(this.facts, this.findings, kept);
    this.checksums.finish();
    const restorable = this.files.finish(this.facts, this.findings, kept);
    this.compareWithMetadata(restorable.files);
    return restorable;
  }

  /** Metadata that disagrees with the archive's content is suspicious but not fatal. */
  private compareWithMetadata(restorableFiles: number): void {
    const m = this.metadata;
    const counts = this.facts.rowCounts;
    const broken = this.facts.broken;
    const present = [...Object.keys(counts), ...broken];
    if (present.length === 0) this.findings.warn('The archive holds no database tables (a files-only backup)');
    else {
      for (const t of AVIARY_TABLE_NAMES) if (!(t in counts) && !broken.has(t)) this.findings.warn(`${tableEntry(t)} is missing; that table is treated as empty`);
    }
    if (!m) return;
    if (m.missing_documents) this.findings.warn(`When this backup was written, ${missingDocumentsWarning(m.missing_documents)}`);
    for (const t of m.exported_tables) {
      if (!tableDef(t)) this.findings.warn(`metadata.json exported_tables lists unknown table ${JSON.stringify(t)}; ignored`);
      else if (!(t in counts) && !broken.has(t)) this.findings.warn(`metadata.json exported_tables lists ${JSON.stringify(t)}, but ${tableEntry(t)} is not in the archive`);
    }
    const differ = (what: string, claimed: number | undefined, actual: number, table?: string) => {
      if (table && broken.has(table)) return;
      if (claimed !== undefined && claimed !== actual) this.findings.warn(`metadata.json says ${what} is ${claimed}, the archive holds ${actual}`);
    };
    differ('total_documents', m.total_documents, this.files.documentFiles);
    differ('total_users', m.total_users, counts.users ?? 0, 'users');
    differ('total_api_keys', m.total_api_keys, counts.api_keys ?? 0, 'api_keys');
    const bytes = this.files.documentBytes;
    if (m.total_size_bytes !== undefined && m.total_size_bytes !== bytes && m.total_size_bytes !== bytes + this.files.legacyBytes) {
      this.findings.warn(`metadata.json says total_size_bytes is ${m.total_size_bytes}, the archive's files hold ${bytes}`);
    }
    for (const [t, n] of Object.entries(m.tables ?? {})) if (tableDef(t)) differ(`the row count of ${t}`, n, counts[t] ?? 0, t);
    if (restorableFiles === 0 && this.files.documentFiles > 0) this.findings.warn('No document in the archive belongs to a user in database/users.json');
  }
}
