import { ConflictError, DomainError, InvalidInputError, isDomainError } from '../../domain/errors';
import { AVIARY_TABLES } from '../../domain/schema/aviary-schema';
import type { Row } from '../../domain/schema/column';
import { coerceValue, columnDefault, isUuid } from '../../domain/schema/values';
import { StorageKeys } from '../../domain/storage-key';
import type { ArchiveEntry, ArchiveReader } from '../ports/archive-reader.port';
import type { BlobStore, ByteStream } from '../ports/blob-store.port';
import type { DatabaseBackend } from '../ports/database.port';
import { BACKUP_RESTORE_LOCK } from '../ports/lock-store.port';
import type { RowSpool, RowSpoolFactory } from '../ports/row-spool.port';
import type { Clock, IdGenerator, Logger } from '../ports/system.port';
import { listAll } from './blob-listing';
import { restoreRoot, savePlan, stagedKey, swapBack, swapIn, SwapPlan } from './restore/file-swap';
import { ArchiveRecheck, boundedText } from './restore/archive-recheck';
import { archiveCarriesFiles, RestoreScope, UserSetBuilder, type UserSet } from './restore/restore-scope';
import { checkRestoreRequest } from './restore/restore-request';
import { restoreRows } from './restore/restore-rows';
import type { RunBackupJob } from './run-backup-job.use-case';
import type { BackupAnalysis, ValidateArchive } from './validate-archive.use-case';

export type RestorePhase = 'locking' | 'validating' | 'safety-backup' | 'reading' | 'database' | 'files' | 'finishing' | 'done';

export interface RestoreInput {
  /** Opens the archive's bytes; called once per pass (validation, then restore). */
  readonly open: () => Promise<ByteStream>;
  readonly sizeBytes?: number;
  readonly overwriteDatabase: boolean;
  readonly overwriteFiles: boolean;
  /** Empty: everyone in the archive. */
  readonly userIds: readonly string[];
  /** Restore an archive of a newer Aviary release anyway. */
  readonly force?: boolean;
  /** Restore even though no active admin would be left (SPEC §8: refused unless confirmed). */
  readonly confirmNoAdmin?: boolean;
  /** Take a backup of the current state first (default on). */
  readonly safetyBackup?: boolean;
  readonly adminUserId: string | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: RestorePhase, percent: number) => void;
}

export interface RestoreReport {
  readonly restoreId: string;
  readonly rows: Record<string, number>;
  readonly filesRestored: number;
  readonly filesRemoved: number;
  readonly safetyBackupJobId: string | null;
  readonly warnings: readonly string[];
  readonly analysis: BackupAnalysis;
}

export interface RestoreDeps {
  readonly db: DatabaseBackend;
  readonly blobs: BlobStore;
  readonly reader: ArchiveReader;
  readonly validate: ValidateArchive;
  readonly runBackup: RunBackupJob;
  readonly spools: RowSpoolFactory;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  /** This process's tag; lock holders and job workers are derived from it. */
  readonly processTag: string;
}

const LOCK_TTL_MS = 120_000;

/**
 * SPEC §8: validate everything first, hold the global lock, take a safety backup, stage files and
 * spool rows, then replace rows and swap files inside one database transaction. Any failure
 * before the commit puts every file back and rolls the database back: all or nothing.
 */
export class RestoreBackup {
  constructor(private readonly d: RestoreDeps) {}

  async execute(input: RestoreInput): Promise<RestoreReport> {
    checkRestoreRequest(input);
    const restoreId = this.d.ids.uuid();
    const holder = `${this.d.processTag}:restore:${restoreId}`;
    const progress = (phase: RestorePhase, percent: number) => input.onProgress?.(phase, percent);
    progress('locking', 0);
    if (!(await this.d.db.locks.acquire(BACKUP_RESTORE_LOCK, holder, LOCK_TTL_MS, `restore ${restoreId}`))) {
      const current = await this.d.db.locks.current(BACKUP_RESTORE_LOCK);
      throw new ConflictError('operation_in_progress', `Another ${current?.purpose.split(' ')[0] ?? 'backup or restore'} is running; try again when it has finished`);
    }
    const renew = setInterval(() => void this.d.db.locks.renew(BACKUP_RESTORE_LOCK, holder, LOCK_TTL_MS).catch(() => undefined), LOCK_TTL_MS / 4);
    renew.unref?.();
    try {
      return await this.run(restoreId, input, progress);
    } finally {
      clearInterval(renew);
      await this.d.db.locks.release(BACKUP_RESTORE_LOCK, holder).catch(() => undefined);
    }
  }

  private async run(restoreId: string, input: RestoreInput, progress: (p: RestorePhase, n: number) => void): Promise<RestoreReport> {
    progress('validating', 2);
    const analysis = await this.d.validate.execute({
      source: await input.open(),
      sizeBytes: input.sizeBytes,
      signal: input.signal,
      restore: {
        overwriteDatabase: input.overwriteDatabase,
        overwriteFiles: input.overwriteFiles,
        selected: input.userIds.length > 0 ? new Set(input.userIds.map((u) => u.toLowerCase())) : null,
      },
      onProgress: (p) => p.percent !== undefined && progress('validating', 2 + Math.floor(p.percent * 0.3)),
    });
    if (!analysis.valid) {
      throw new DomainError('integrity', 'archive_invalid', `The archive is not valid: ${analysis.errors.slice(0, 3).join('; ')}`, { errors: analysis.errors });
    }
    if (analysis.version.requires_force && !input.force) {
      throw new DomainError('integrity', 'backup_version_newer',
        `This backup comes from Aviary ${analysis.aviary_version}, newer than ${analysis.version.service}, and holds data this service does not know, which a restore would drop. To restore it anyway, send "force": true (or use the CLI's --force)`);
    }
    if (analysis.restore_plan?.leaves_no_admin && !input.confirmNoAdmin) throw noAdminLeft();

    let safetyBackupJobId: string | null = null;
    if (input.safetyBackup !== false) {
      progress('safety-backup', 33);
      safetyBackupJobId = await this.safetyBackup(input.adminUserId);
    }

    const spool = await this.d.spools.create(restoreId);
    const warnings: string[] = [];
    try {
      progress('reading', 50);
      const staged = await this.readArchive(restoreId, input, spool, warnings);
      const markerId = this.d.ids.uuid();
      const plan = await this.planFiles(restoreId, markerId, input, staged);
      await savePlan(this.d.blobs, plan);

      progress('database', 75);
      const rows = await this.d.db.records.writeTransaction(
        async (writer) => {
          const result = input.overwriteDatabase
            ? await restoreRows(writer, spool, {
                selectedUsers: input.userIds.length > 0 ? new Set(input.userIds.map((u) => u.toLowerCase())) : null,
                finalUsers: staged.finalUsers,
                pairings: staged.pairings,
              })
            : {};
          progress('files', 85);
          try {
            await swapIn(this.d.blobs, plan);
          } catch (error) {
            await swapBack(this.d.blobs, plan);
            throw error;
          }
          return result;
        },
        { commitMarker: markerId },
      );
      progress('finishing', 95);
      await this.d.blobs.deletePrefix(restoreRoot(restoreId));
      await this.d.db.records.clearCommitMarker(markerId);
      await this.d.db.migrate();
      progress('done', 100);
      this.d.logger.info('restore completed', { restore_id: restoreId, rows, files: plan.place.length });
      return {
        restoreId,
        rows,
        filesRestored: plan.place.length,
        filesRemoved: plan.setAside.length - plan.place.filter((p) => p.existedBefore).length,
        safetyBackupJobId,
        warnings: [...analysis.warnings, ...warnings],
        analysis,
      };
    } catch (error) {
      this.d.logger.error('restore failed; nothing was changed', { restore_id: restoreId, error });
      await this.d.blobs.deletePrefix(restoreRoot(restoreId)).catch(() => undefined);
      if (isDomainError(error) && (error.code === 'invalid_user_ids' || error.category === 'conflict' && error.code === 'operation_in_progress')) throw error;
      throw new DomainError('internal', 'restore_import_failed', `Restore failed and was rolled back, nothing was changed: ${messageOf(error)}`, {
        cause: isDomainError(error) ? error.code : undefined,
      });
    } finally {
      await spool.dispose();
    }
  }

  private async safetyBackup(adminUserId: string | null): Promise<string> {
    const job = await this.d.db.jobs.create({
      adminUserId,
      trigger: 'safety',
      options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] },
    });
    const claimed = await this.d.db.jobs.claim(job.id, this.d.processTag);
    const done = claimed ? await this.d.runBackup.execute(claimed, this.d.processTag) : null;
    if (done?.status !== 'completed') {
      throw new DomainError('internal', 'safety_backup_failed',
        `Could not take the safety backup, so nothing was restored: ${done?.errorMessage ?? 'the job could not be claimed'}`);
    }
    return job.id;
  }

  /** Second pass: rows to the spool, documents to staging keys, legacy pairings collected. */
  private async readArchive(restoreId: string, input: RestoreInput, spool: RowSpool, warnings: string[]) {
    const selected = input.userIds.length > 0 ? new Set(input.userIds.map((u) => u.toLowerCase())) : null;
    const request = { overwriteDatabase: input.overwriteDatabase, overwriteFiles: input.overwriteFiles, selected };
    const archiveUsers = new UserSetBuilder();
    const current = await this.currentUsers();
    const targets: string[] = [];
    const documentOwners = new Set<string>();
    const pairings = new Map<string, string>();
    let metadata: Record<string, unknown> = {};
    let documentsSeen = 0;
    // Documents follow the tables: the scope is settled once the first document arrives.
    let scope: RestoreScope | undefined;
    const scopeNow = () => (scope ??= new RestoreScope(request, { users: archiveUsers, hasFiles: true }, current));
    // The bytes are checked again as they are restored: the archive must not change between passes.
    const recheck = new ArchiveRecheck();
    const limits = this.d.reader.limits;

    await this.d.reader.read(await input.open(), async (entry: ArchiveEntry) => {
      if (entry.kind === 'metadata') metadata = JSON.parse(await boundedText(entry, limits.maxMetadataBytes));
      else if (entry.kind === 'table' && entry.table) {
        const def = AVIARY_TABLES.find((t) => t.name === entry.table)!;
        if (selected && !def.userColumn) return;
        // A users table without rows replaces nobody (SPEC §8): it is opened only by its first row.
        if (def.name !== 'users') spool.open(def.name);
        for await (const raw of this.d.reader.rows(entry)) {
          const row = normalise(def.name, raw);
          if (def.name === 'users') {
            if (archiveUsers.ids.size === 0) spool.open(def.name);
            archiveUsers.add(row);
          }
          if (def.userColumn && selected && !selected.has(String(row[def.userColumn]))) continue;
          if (input.overwriteDatabase) await spool.append(def.name, row);
        }
      } else if (entry.kind === 'document' && entry.userId && entry.relativePath) {
        documentsSeen++;
        const userId = entry.userId.toLowerCase();
        if (!isUuid(userId) || !input.overwriteFiles) return;
        if (!scopeNow().acceptsDocument(userId)) {
          const reason = scopeNow().skipReason(userId);
          if (reason) warnings.push(`${entry.name}: ${reason}; file skipped`);
          return;
        }
        const target = StorageKeys.userDocument(userId, entry.relativePath);
        await this.d.blobs.put(stagedKey(restoreId, target), entry.body, { size: entry.size, signal: input.signal });
        targets.push(target);
        documentOwners.add(userId);
      } else if (entry.kind === 'legacy-config' && entry.userId) {
        pairings.set(entry.userId.toLowerCase(), await boundedText(entry, limits.maxPairingBytes));
      } else if (entry.kind === 'checksums') {
        await recheck.readManifest(entry.body);
      }
    }, { signal: input.signal, onWarning: (w) => warnings.push(w), onEntryRead: (e) => recheck.entryRead(e.name, e.sha256) });

    if (selected) {
      const missing = [...selected].filter((id) => !archiveUsers.ids.has(id));
      if (missing.length > 0) throw new InvalidInputError('invalid_user_ids', `Not in this backup: ${missing.join(', ')}`);
    }
    const hasFiles = archiveCarriesFiles(metadata.include_files, metadata.total_documents, documentsSeen);
    scope = new RestoreScope(request, { users: archiveUsers, hasFiles }, current);
    if (scope.leavesNoAdmin && !input.confirmNoAdmin) throw noAdminLeft();
    if (metadata.include_configs === false) await this.keepCurrentPairings(pairings);
    return { targets, pairings, finalUsers: scope.finalUsers, scope, documentOwners };
  }

  /** Which current files are replaced or removed (as the scope says), and which staged files go where. */
  private async planFiles(
    restoreId: string,
    markerId: string,
    _input: RestoreInput,
    staged: { targets: string[]; scope: RestoreScope; documentOwners: ReadonlySet<string> },
  ): Promise<SwapPlan> {
    const setAside: string[] = [];
    for await (const blob of listAll(this.d.blobs, 'users/')) {
      const [, userId, area] = blob.key.split('/');
      if (area !== 'pdfs') continue;
      if (staged.scope.folderAction(userId, staged.documentOwners) !== 'keep') setAside.push(blob.key);
    }
    const existing = new Set(setAside);
    // A document staged before the scope was settled (an archive listing documents before users.json) may no longer belong.
    const placed = staged.targets.filter((t) => staged.scope.acceptsDocument(t.split('/')[1]));
    return { runId: restoreId, markerId, setAside, place: placed.map((target) => ({ target, existedBefore: existing.has(target) })) };
  }

  private async currentUsers(): Promise<UserSet> {
    return this.d.db.records.readSnapshot(async (r) => {
      const users = new UserSetBuilder();
      for await (const u of r.stream('users')) users.add(u);
      return users;
    });
  }

  private async keepCurrentPairings(pairings: Map<string, string>): Promise<void> {
    await this.d.db.records.readSnapshot(async (r) => {
      for await (const u of r.stream('users')) if (u.rmapi_config) pairings.set(String(u.id), String(u.rmapi_config));
    });
  }
}

/** Archive row → canonical row: unknown keys dropped, absent ones defaulted (validation checked types). */
function normalise(table: string, raw: Record<string, unknown>): Row {
  const def = AVIARY_TABLES.find((t) => t.name === table)!;
  const row: Row = {};
  for (const col of def.columns) {
    const value = col.name in raw ? raw[col.name] : columnDefault(col);
    const coerced = coerceValue(col, value);
    row[col.name] = coerced.ok ? coerced.value : (columnDefault(col) as Row[string]);
  }
  return row;
}

function noAdminLeft(): DomainError {
  return new ConflictError('restore_leaves_no_admin',
    'This restore would leave no active admin, so nobody could use the admin API afterwards; confirm it (confirm_no_admin) to restore anyway');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
