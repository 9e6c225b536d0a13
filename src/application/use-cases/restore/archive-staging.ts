import type { Row, TableDef } from '../../../domain/schema/column';
import { isUuid } from '../../../domain/schema/values';
import { StorageKeys } from '../../../domain/storage-key';
import type { ArchiveEntry } from '../../ports/archive-reader.port';
import type { BlobStore } from '../../ports/blob-store.port';
import type { RowSpool } from '../../ports/row-spool.port';
import type { MetadataFacts, PassCompanion } from '../validate-archive/pass-companion';
import { BackgroundPuts } from './background-puts';
import { boundedText } from './bounded-text';
import { stagedKey } from './file-swap';
import { archiveCarriesFiles, RestoreScope, UserSetBuilder, type ScopeRequest, type UserSet } from './restore-scope';

/** Staged documents whose put may still be finishing while the archive is read on. */
const PUTS_FINISHING = 2;

export interface StagingDeps {
  readonly restoreId: string;
  readonly blobs: BlobStore;
  readonly spool: RowSpool;
  readonly maxPairingBytes: number;
  readonly signal: AbortSignal;
}

/** What the pass staged, once the archive has been read to its end. */
export interface StagedArchive {
  /** Document keys (final places) staged under the restore's scratch space. */
  readonly targets: readonly string[];
  readonly documentOwners: ReadonlySet<string>;
  /** Pairing text per user from legacy `rmapi.conf` files. */
  readonly pairings: Map<string, string>;
  readonly scope: RestoreScope;
  /** Whether metadata.json says the backup was made without pairing configurations. */
  readonly withoutConfigs: boolean;
  /** Requested users (`user_ids`) the archive does not hold. */
  readonly missingUsers: readonly string[];
  /** Documents skipped, one line each. */
  readonly warnings: readonly string[];
}

/**
 * The restore's side of the one pass (docs/restore-and-archives.md "One pass"): rows to the spool,
 * documents to staging keys, legacy pairings collected, while validation checks the same bytes.
 * Nothing current is touched; the restore decides with the analysis whether any of it is used.
 */
export class ArchiveStaging implements PassCompanion {
  private readonly archiveUsers = new UserSetBuilder();
  private readonly targets: string[] = [];
  private readonly documentOwners = new Set<string>();
  private readonly pairings = new Map<string, string>();
  private readonly warnings: string[] = [];
  private readonly puts: BackgroundPuts;
  private facts: MetadataFacts = {};
  private documentsSeen = 0;
  // Documents follow the tables: the scope is settled once the first document arrives.
  private earlyScope: RestoreScope | undefined;

  constructor(
    private readonly request: ScopeRequest,
    private readonly current: UserSet,
    private readonly d: StagingDeps,
  ) {
    this.puts = new BackgroundPuts(d.blobs, PUTS_FINISHING);
  }

  metadata(facts: MetadataFacts): void {
    this.facts = facts;
  }

  tableStarts(def: TableDef): void {
    // A users table without rows replaces nobody (docs/restore-and-archives.md): it is opened only by its first row.
    if (this.takesTable(def) && def.name !== 'users') this.d.spool.open(def.name);
  }

  /** Its rows are all spooled: the stage can finish the table (sort, indexes) while later entries are read. */
  async tableEnds(def: TableDef): Promise<void> {
    if (this.d.spool.tables().includes(def.name)) await this.d.spool.end(def.name);
  }

  async row(def: TableDef, row: Row): Promise<void> {
    if (!this.takesTable(def)) return;
    const { selected, overwriteDatabase } = this.request;
    if (def.name !== 'users' && !overwriteDatabase) return;
    if (def.name === 'users') {
      if (this.archiveUsers.ids.size === 0) this.d.spool.open(def.name);
      this.archiveUsers.add(row);
    }
    if (def.userColumn && selected && !selected.has(String(row[def.userColumn]))) return;
    if (overwriteDatabase) await this.d.spool.append(def.name, row);
  }

  async file(entry: ArchiveEntry): Promise<void> {
    if (entry.kind === 'legacy-config' && entry.userId) {
      this.pairings.set(entry.userId.toLowerCase(), await boundedText(entry, this.d.maxPairingBytes));
    } else if (entry.kind === 'document' && entry.userId && entry.relativePath) {
      this.documentsSeen++;
      await this.stageDocument(entry, entry.userId.toLowerCase(), entry.relativePath);
    }
  }

  /** After the last entry: every staged put finished, and the scope decided with the whole archive known. */
  async settle(): Promise<StagedArchive> {
    await this.puts.drain();
    const { selected } = this.request;
    const hasFiles = archiveCarriesFiles(this.facts.includeFiles, this.facts.totalDocuments, this.documentsSeen);
    const scope = new RestoreScope(this.request, { users: this.archiveUsers, hasFiles }, this.current);
    return {
      targets: this.targets,
      documentOwners: this.documentOwners,
      pairings: this.pairings,
      scope,
      withoutConfigs: this.facts.includeConfigs === false,
      missingUsers: selected ? [...selected].filter((id) => !this.archiveUsers.ids.has(id)) : [],
      warnings: this.warnings,
    };
  }

  /** Waits for puts still finishing, whatever their outcome: then the scratch space can go. */
  quiesce(): Promise<void> {
    return this.puts.quiesce();
  }

  private takesTable(def: TableDef): boolean {
    return !(this.request.selected && !def.userColumn);
  }

  private async stageDocument(entry: ArchiveEntry, userId: string, relativePath: string): Promise<void> {
    if (!isUuid(userId) || !this.request.overwriteFiles) return;
    this.earlyScope ??= new RestoreScope(this.request, { users: this.archiveUsers, hasFiles: true }, this.current);
    if (!this.earlyScope.acceptsDocument(userId)) {
      const reason = this.earlyScope.skipReason(userId);
      if (reason) this.warnings.push(`${entry.name}: ${reason}; file skipped`);
      return;
    }
    const target = StorageKeys.userDocument(userId, relativePath);
    await this.puts.put(stagedKey(this.d.restoreId, target), entry.body, { size: entry.size, signal: this.d.signal });
    this.targets.push(target);
    this.documentOwners.add(userId);
  }
}
