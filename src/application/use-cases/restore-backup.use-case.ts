import { ConflictError, DomainError, InvalidInputError, isDomainError } from '../../domain/errors';
import { AVIARY_TABLES } from '../../domain/schema/aviary-schema';
import type { Row } from '../../domain/schema/column';
import { coerceValue, columnDefault, isUuid } from '../../domain/schema/values';
import { StorageKeys } from '../../domain/storage-key';
import type { ArchiveEntry, ArchiveReader } from '../ports/archive-reader.port';
import type { BlobStore, ByteStream } from '../ports/blob-store.port';
import type { DatabaseBackend } from '../ports/database.port';
import type { FaultPointName, FaultPoints } from '../ports/fault-points.port';
import { BACKUP_RESTORE_LOCK, type LockHolder, type ProcessRef } from '../ports/lock-store.port';
import type { RowSpool, RowSpoolFactory } from '../ports/row-spool.port';
import type { Clock, IdGenerator, Logger } from '../ports/system.port';
import { listAll } from './blob-listing';
import { LeaseKeeper } from './lease-keeper';
import { restoreRoot, savePlan, stagedKey, swapIn, SwapPlan } from './restore/file-swap';
import { restoreFailure } from './restore/restore-failure';
import { ArchiveRecheck, boundedText } from './restore/archive-recheck';
import { archiveCarriesFiles, RestoreScope, UserSetBuilder, type UserSet } from './restore/restore-scope';
import { checkRestoreRequest } from './restore/restore-request';
import { restoreRows } from './restore/restore-rows';
import { settleRestore } from './restore/settle-restore';
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
  /** Restore even though no active admin would be left (docs/restore-and-archives.md: refused unless confirmed). */
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
  /** This process's tag: the worker of the safety backup job. */
  readonly processTag: string;
  /** This process: the restore holds the lock as `{ process, role: 'restore', runId }`. */
  readonly process: ProcessRef;
  /** Named steps where a test can stop the work; absent in production (a no-op). */
  readonly faults?: FaultPoints;
  /** Lease length of the global lock (default two minutes); renewed every third of it. */
  readonly lockTtlMs?: number;
  /** True for a lock holder whose process is certainly gone: its lock is taken over at once. */
  readonly isDeadHolder?: (holder: LockHolder) => boolean;
}

const LOCK_TTL_MS = 120_000;
/** What the holder of the global lock is doing, by its role, for the 409 message. */
const WORK_NAMES: Readonly<Record<string, string>> = { backup: 'backup', restore: 'restore', 'single-to-multi': 'single-user migration' };
/** Pauses between attempts to settle a failed restore in the request, then in the background (capped). */
const SETTLE_NOW_DELAYS_MS = [0, 200, 1_000];
const SETTLE_LATER_MAX_MS = 30_000;

/** Errors a restore answers as they are: they come before anything was staged or changed. */
const AS_IS = new Set(['invalid_user_ids', 'operation_in_progress']);

/**
 * docs/restore-and-archives.md: validate everything first, hold the global lock, take a safety backup, stage files and
 * spool rows, then replace rows and swap files inside one database transaction. Any failure
 * before the commit puts every file back and rolls the database back: all or nothing. A failure
 * after it keeps the restored state. The error says which of the two happened.
 */
export class RestoreBackup {
  constructor(private readonly d: RestoreDeps) {}

  async execute(input: RestoreInput): Promise<RestoreReport> {
    checkRestoreRequest(input);
    const restoreId = this.d.ids.uuid();
    const holder: LockHolder = { process: this.d.process, role: 'restore', runId: restoreId };
    const progress = (phase: RestorePhase, percent: number) => input.onProgress?.(phase, percent);
    progress('locking', 0);
    const lease = new LeaseKeeper(this.d.db.locks, BACKUP_RESTORE_LOCK, holder, { ttlMs: this.d.lockTtlMs ?? LOCK_TTL_MS, isDeadHolder: this.d.isDeadHolder, parent: input.signal });
    if (!(await lease.acquire(`restore ${restoreId}`))) {
      const current = await this.d.db.locks.current(BACKUP_RESTORE_LOCK);
      throw new ConflictError('operation_in_progress', `Another ${WORK_NAMES[current?.holder?.role ?? ''] ?? 'backup or restore'} is running; try again when it has finished`);
    }
    const owner = { lease, handedOver: false, planSaved: false };
    try {
      return await this.run(restoreId, input, progress, owner);
    } finally {
      // A restore still being undone keeps the lock until its files are back.
      if (!owner.handedOver) await lease.release();
    }
  }

  private async run(restoreId: string, input: RestoreInput, progress: (p: RestorePhase, n: number) => void, owner: LeaseOwner): Promise<RestoreReport> {
    const signal = owner.lease.signal;
    progress('validating', 2);
    const analysis = await this.d.validate.execute({
      source: await input.open(),
      sizeBytes: input.sizeBytes,
      signal,
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
      safetyBackupJobId = await this.safetyBackup(input.adminUserId, signal);
    }

    const spool = await this.d.spools.create(restoreId);
    const warnings: string[] = [];
    let committed = false;
    try {
      progress('reading', 50);
      const staged = await this.readArchive(restoreId, { ...input, signal }, spool, warnings);
      await this.fault('restore.after-stage');
      const markerId = this.d.ids.uuid();
      const plan = await this.planFiles(restoreId, markerId, input, staged);
      owner.planSaved = true; // from here on, a failure may have moved current files
      await savePlan(this.d.blobs, plan);
      await this.fault('restore.after-plan');

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
          await this.fault('restore.after-rows');
          progress('files', 85);
          await swapIn(this.d.blobs, plan, () => this.fault('restore.mid-swap'));
          await this.fault('restore.after-swap-in');
          signal.throwIfAborted(); // never commit without the lock
          await this.fault('restore.before-commit');
          return result;
        },
        { commitMarker: markerId },
      );
      committed = true;
      await this.fault('restore.after-commit');
      progress('finishing', 95);
      await settleRestore(this.d.blobs, this.d.db.records, restoreId, true);
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
      throw await this.failed(restoreId, error, committed, owner);
    } finally {
      await spool.dispose();
    }
  }

  /**
   * Settles a failed run at once (files back, or kept when the commit happened), retrying a little;
   * when storage or database still fail, hands the lock to a background retry that keeps at it.
   */
  private async failed(restoreId: string, error: unknown, committed: boolean, owner: LeaseOwner): Promise<unknown> {
    const { blobs, db, logger } = this.d;
    if (!owner.planSaved) {
      // Nothing current was touched: only staged copies to remove, now or (storage down) a little later.
      await blobs.deletePrefix(restoreRoot(restoreId)).catch(() => this.settleLater(restoreId, false, null));
      return !committed && isDomainError(error) && AS_IS.has(error.code) ? error : restoreFailure(error, 'rolled_back');
    }
    for (const delay of SETTLE_NOW_DELAYS_MS) {
      if (delay > 0) await sleep(delay);
      try {
        const state = await settleRestore(blobs, db.records, restoreId, committed);
        logger.error(state === 'committed' ? 'restore committed, then a later step failed' : 'restore failed and was rolled back', { restore_id: restoreId, error });
        return restoreFailure(error, state);
      } catch (settleError) {
        logger.warn('could not settle the failed restore yet', { restore_id: restoreId, error: settleError });
      }
    }
    owner.handedOver = true;
    this.settleLater(restoreId, committed, owner.lease);
    logger.error('restore failed; putting its files back in the background', { restore_id: restoreId, error });
    return restoreFailure(error, committed ? 'committed' : 'rolling_back');
  }

  /**
   * Retries with growing pauses until the run is settled, then frees the lock (`lease`, when the run
   * still held it); stops if the lock is lost, leaving the rest to the next start.
   */
  private settleLater(restoreId: string, committed: boolean, lease: LeaseKeeper | null, delay = SETTLE_NOW_DELAYS_MS[SETTLE_NOW_DELAYS_MS.length - 1]): void {
    const timer = setTimeout(async () => {
      if (lease?.lost) {
        this.d.logger.error('lost the lock while undoing a failed restore; the next start finishes it', { restore_id: restoreId });
        await lease.release();
        return;
      }
      try {
        const state = await settleRestore(this.d.blobs, this.d.db.records, restoreId, committed);
        this.d.logger.warn('settled a failed restore', { restore_id: restoreId, state });
        await lease?.release();
      } catch (error) {
        this.d.logger.warn('could not settle the failed restore yet; retrying', { restore_id: restoreId, error });
        this.settleLater(restoreId, committed, lease, Math.min(delay * 2, SETTLE_LATER_MAX_MS));
      }
    }, delay);
    timer.unref?.();
  }

  private async fault(point: FaultPointName): Promise<void> {
    await this.d.faults?.reach(point);
  }

  private async safetyBackup(adminUserId: string | null, signal: AbortSignal): Promise<string> {
    const job = await this.d.db.jobs.create({
      adminUserId,
      trigger: 'safety',
      options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] },
    });
    const claimed = await this.d.db.jobs.claim(job.id, this.d.processTag);
    const done = claimed ? await this.d.runBackup.execute(claimed, this.d.processTag, signal) : null;
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
        // A users table without rows replaces nobody (docs/restore-and-archives.md): it is opened only by its first row.
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface LeaseOwner {
  readonly lease: LeaseKeeper;
  /** Set when a background retry took the lease over (the restore is still being undone). */
  handedOver: boolean;
  /** Set once the swap plan may exist: before it, no current file was touched. */
  planSaved: boolean;
}
