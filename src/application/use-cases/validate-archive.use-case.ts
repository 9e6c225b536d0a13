import { isDomainError } from '../../domain/errors';
import { AVIARY_SCHEMA_VERSION, AVIARY_TABLE_NAMES } from '../../domain/schema/aviary-schema';
import type { ArchiveReader, ArchiveReadSummary } from '../ports/archive-reader.port';
import type { ByteStream } from '../ports/blob-store.port';
import type { RecordStore } from '../ports/record-store.port';
import type { Clock } from '../ports/system.port';
import { archiveCarriesFiles, FULL_RESTORE, RestoreScope, type ScopeRequest, type UserSet } from './restore/restore-scope';
import type { BackupAnalysis, ValidateProgress } from '../../domain/archive/backup-analysis';
import { readCurrentState, type CurrentState } from './validate-archive/current-state';
import { CompanionFailure, type PassCompanion } from './validate-archive/pass-companion';
import { ArchiveInspection } from './validate-archive/inspection';
import { aviaryTimestamp } from './validate-archive/metadata-check';
import { compareVersion } from './validate-archive/version-check';

export type { BackupAnalysis, ValidateProgress } from '../../domain/archive/backup-analysis';
export type { CurrentState } from './validate-archive/current-state';
export type { PassCompanion } from './validate-archive/pass-companion';

export interface ValidateArchiveInput {
  readonly source: ByteStream;
  /** Compressed size, when known, for progress percentages. */
  readonly sizeBytes?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ValidateProgress) => void;
  /** The restore the analysis describes (what it replaces, admin changes); a full restore by default. */
  readonly restore?: ScopeRequest;
  /** A restore's staging, done in this same pass (docs/restore-and-archives.md "One pass"). */
  readonly alongside?: PassCompanion;
  /** The database's state when the caller has read it already (a restore reads it before the pass). */
  readonly current?: CurrentState;
}

/**
 * Checks a backup archive end to end in one streaming pass (docs/archive-format.md "Reading", §6) and describes
 * it (README, HTTP API BackupAnalysis). Problems with the archive become `errors`/`warnings`; the promise
 * rejects only for I/O failures of the source, an abort, or a bug. Writes nothing anywhere.
 * `records` may be null (e.g. the CLI without a database): current counts are then null.
 */
export class ValidateArchive {
  constructor(
    private readonly reader: ArchiveReader,
    private readonly records: RecordStore | null,
    private readonly clock: Clock,
  ) {}

  async execute(input: ValidateArchiveInput): Promise<BackupAnalysis> {
    const inspection = new ArchiveInspection(this.reader, input.alongside);
    const { findings } = inspection;
    const { summary, seen } = await this.readThrough(input, inspection);
    const current = input.current ?? (await this.currentState(findings.warn.bind(findings)));
    const restorable = summary ? inspection.finish(current?.users.ids ?? null) : { files: 0, bytes: 0, legacyUsed: [] };
    const m = inspection.metadata;
    const { unknownTablesWithRows, unknownColumnsWithValues } = inspection.facts;
    const verdict = compareVersion(m?.aviary_version ?? '', AVIARY_SCHEMA_VERSION, [...unknownTablesWithRows, ...unknownColumnsWithValues]);
    if (m && verdict.warning) findings.warn(verdict.warning);
    const plan = summary && current ? this.plan(inspection, current.users, input.restore ?? FULL_RESTORE) : null;
    for (const w of plan?.warnings ?? []) findings.warn(w, 'restore scope');
    findings.close();

    const counts = inspection.facts.rowCounts;
    return {
      valid: summary !== undefined && findings.errors.length === 0,
      aviary_version: m?.aviary_version ?? '',
      git_commit: m?.git_commit ?? '',
      export_timestamp: aviaryTimestamp(m?.export_timestamp ?? ''),
      database_type: m?.database_type ?? '',
      user_count: counts.users ?? 0,
      api_key_count: counts.api_keys ?? 0,
      document_count: restorable.files,
      total_size_bytes: restorable.bytes,
      exported_tables: m?.exported_tables ?? [],
      users_exported: m?.users_exported ?? [],
      archive_users: [...inspection.facts.users.names].map(([id, username]) => ({ id, username, is_admin: inspection.facts.users.admins.has(id) })),
      errors: findings.errors,
      warnings: findings.warnings,
      tables: Object.fromEntries(AVIARY_TABLE_NAMES.filter((t) => t in counts).map((t) => [t, counts[t]])),
      checksums: { present: inspection.checksums.present, verified: inspection.checksums.verified, mismatches: [...inspection.checksums.mismatches] },
      version: { archive: m?.aviary_version ?? '', service: AVIARY_SCHEMA_VERSION, comparison: verdict.comparison, requires_force: verdict.requiresForce },
      restore_would_replace: Object.fromEntries(AVIARY_TABLE_NAMES.map((t) => [t, { current: current?.counts[t] ?? null, archive: counts[t] ?? 0 }])),
      restore_plan: plan?.summary ?? null,
      legacy_configs_used: restorable.legacyUsed,
      entries: summary?.entries ?? inspection.entriesSeen,
      compressed_bytes: summary?.compressedBytes ?? seen.compressedBytes,
      uncompressed_bytes: summary?.uncompressedBytes ?? seen.uncompressedBytes,
      analyzed_at: this.clock.now().toISOString(),
    };
  }

  /**
   * The one pass over the archive. Only the archive's own faults become findings; I/O errors,
   * aborts and the companion's failures are the caller's.
   */
  private async readThrough(input: ValidateArchiveInput, inspection: ArchiveInspection) {
    const seen = { compressedBytes: 0, uncompressedBytes: 0 };
    let summary: ArchiveReadSummary | undefined;
    try {
      summary = await this.reader.read(input.source, inspection.onEntry, {
        signal: input.signal,
        onEntryRead: (e) => inspection.checksums.entryRead(e.name, e.kind, e.sha256),
        onWarning: (message) => inspection.findings.warn(message, 'skipped entries'),
        onProgress: (p) => {
          Object.assign(seen, p);
          input.onProgress?.(progress(p.compressedBytes, p.uncompressedBytes, input.sizeBytes));
        },
      });
    } catch (error) {
      if (error instanceof CompanionFailure) throw error.failure;
      if (!isDomainError(error) || error.category !== 'integrity') throw error;
      inspection.findings.errors.unshift(error.message);
    }
    return { summary, seen };
  }

  /** What the restore would change for users, admins and document folders (docs/restore-and-archives.md). */
  private plan(inspection: ArchiveInspection, current: UserSet, request: ScopeRequest) {
    const owners = inspection.files.documentOwners();
    const archive = {
      users: inspection.facts.users,
      hasFiles: archiveCarriesFiles(inspection.includeFiles, inspection.metadata?.total_documents, inspection.files.documentFiles),
    };
    const scope = new RestoreScope(request, archive, current);
    const { removed, added } = scope.adminChanges();
    return {
      warnings: scope.warnings(owners),
      summary: {
        replaces_users: scope.replacesUsersTable,
        leaves_no_admin: scope.leavesNoAdmin,
        admins_removed: removed.map(([id, a]) => ({ id, username: a.username })),
        admins_added: added.map(([id, a]) => ({ id, username: a.username })),
        users_whose_files_are_removed: [...current.ids].filter((id) => scope.folderAction(id, owners) === 'remove'),
      },
    };
  }

  private async currentState(warn: (message: string) => void): Promise<CurrentState | null> {
    if (!this.records) return null;
    try {
      return await readCurrentState(this.records);
    } catch (error) {
      warn(`The current database could not be counted: ${(error as Error).message}`);
      return null;
    }
  }
}

function progress(compressedBytes: number, uncompressedBytes: number, totalBytes?: number): ValidateProgress {
  if (!totalBytes) return { compressedBytes, uncompressedBytes };
  return { compressedBytes, uncompressedBytes, totalBytes, percent: Math.min(100, Math.floor((compressedBytes / totalBytes) * 100)) };
}
