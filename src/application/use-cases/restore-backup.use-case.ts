import { ConflictError, DomainError, InvalidInputError, isDomainError } from '../../domain/errors';
import type { ArchiveReader } from '../ports/archive-reader.port';
import type { BlobStore, ByteStream } from '../ports/blob-store.port';
import type { DatabaseBackend } from '../ports/database.port';
import type { FaultPointName, FaultPoints } from '../ports/fault-points.port';
import { BACKUP_RESTORE_LOCK, type LockHolder, type ProcessRef } from '../ports/lock-store.port';
import type { RowSpool, RowSpoolFactory } from '../ports/row-spool.port';
import type { Clock, IdGenerator, Logger } from '../ports/system.port';
import { listAll } from './blob-listing';
import { LeaseKeeper } from './lease-keeper';
import { ArchiveStaging, type StagedArchive } from './restore/archive-staging';
import { restoreRoot, savePlan, swapIn, type SwapPlan } from './restore/file-swap';
import { restoreFailure } from './restore/restore-failure';
import { checkRestoreRequest } from './restore/restore-request';
import { restoreRows, spoolEncodingFor } from './restore/restore-rows';
import { settleRestore } from './restore/settle-restore';
import type { RunBackupJob } from './run-backup-job.use-case';
import type { BackupAnalysis, ValidateArchive } from './validate-archive.use-case';
import { readCurrentState } from './validate-archive/current-state';
import type { RestoreRunReport } from '../ports/restore-run-store.port';

export type RestorePhase = 'locking' | 'reading' | 'safety-backup' | 'database' | 'files' | 'finishing' | 'done';

type Progress = (phase: RestorePhase, percent: number) => void;

export interface RestoreInput {
  /** Opens the archive's bytes; called once (validation and staging share one pass). */
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

/** What a restore reports: the counts a stored restore run keeps, plus the analysis of its archive. */
export interface RestoreReport extends RestoreRunReport {
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

/** Refusals a restore answers as they are: they come before anything current was touched. */
const AS_IS = new Set(['invalid_user_ids', 'operation_in_progress', 'archive_invalid', 'backup_version_newer', 'restore_leaves_no_admin', 'safety_backup_failed']);

/**
 * docs/restore-and-archives.md: hold the global lock, read the archive once — every check and every
 * sha256 while documents are staged and rows spooled — then, only if the archive passed, take a
 * safety backup and replace rows and swap files inside one database transaction. Any failure
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

  private async run(restoreId: string, input: RestoreInput, progress: Progress, owner: LeaseOwner): Promise<RestoreReport> {
    const signal = owner.lease.signal;
    const spool = await this.d.spools.create(restoreId, spoolEncodingFor(this.d.db.records.lineEncoding));
    let committed = false;
    try {
      progress('reading', 2);
      const { analysis, staged } = await this.readOnce(restoreId, { ...input, signal }, spool, progress);
      // The last lines are handed on now, so a stage finishes its tables during what follows.
      await spool.finish();
      await this.fault('restore.after-stage');
      refuseUnlessRestorable(input, analysis, staged);
      const safetyBackupJobId = input.safetyBackup === false ? null : await this.safetyBackup(input.adminUserId, signal, progress);
      if (staged.withoutConfigs) await this.keepCurrentPairings(staged.pairings);
      const plan = await this.planFiles(restoreId, staged);
      owner.planSaved = true; // from here on, a failure may have moved current files
      await savePlan(this.d.blobs, plan);
      await this.fault('restore.after-plan');
      const rows = await this.commit(input, spool, staged, plan, signal, progress);
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
        warnings: [...analysis.warnings, ...staged.warnings],
        analysis,
      };
    } catch (error) {
      throw await this.failed(restoreId, error, committed, owner);
    } finally {
      await spool.dispose();
    }
  }

  /**
   * The one pass over the archive: validation (every check, every sha256) with the staging riding
   * along. The analysis decides afterwards whether anything staged is used.
   */
  private async readOnce(restoreId: string, input: RestoreInput & { signal: AbortSignal }, spool: RowSpool, progress: Progress) {
    const request = {
      overwriteDatabase: input.overwriteDatabase,
      overwriteFiles: input.overwriteFiles,
      selected: input.userIds.length > 0 ? new Set(input.userIds.map((u) => u.toLowerCase())) : null,
    };
    const current = await readCurrentState(this.d.db.records);
    const staging = new ArchiveStaging(request, current.users, {
      restoreId, blobs: this.d.blobs, spool, maxPairingBytes: this.d.reader.limits.maxPairingBytes, signal: input.signal,
    });
    try {
      const analysis = await this.d.validate.execute({
        source: await input.open(),
        sizeBytes: input.sizeBytes,
        signal: input.signal,
        restore: request,
        current,
        alongside: staging,
        onProgress: (p) => p.percent !== undefined && progress('reading', 2 + Math.floor(p.percent * 0.7)),
      });
      // Staged puts of an archive that failed its checks may have failed with it: the analysis says why.
      if (!analysis.valid) throw archiveInvalid(analysis);
      return { analysis, staged: await staging.settle() };
    } finally {
      await staging.quiesce(); // nothing may still be writing when a failure removes the scratch space
    }
  }

  /** Rows replaced and files swapped in inside one transaction; its commit is the restore's point of no return. */
  private async commit(input: RestoreInput, spool: RowSpool, staged: StagedArchive, plan: SwapPlan, signal: AbortSignal, progress: Progress) {
    progress('database', 75);
    return this.d.db.records.writeTransaction(
      async (writer) => {
        const result = input.overwriteDatabase
          ? await restoreRows(writer, spool, { selectedUsers: staged.scope.request.selected, finalUsers: staged.scope.finalUsers, pairings: staged.pairings })
          : {};
        await this.fault('restore.after-rows');
        progress('files', 85);
        await swapIn(this.d.blobs, plan, () => this.fault('restore.mid-swap'));
        await this.fault('restore.after-swap-in');
        signal.throwIfAborted(); // never commit without the lock
        await this.fault('restore.before-commit');
        return result;
      },
      { commitMarker: plan.markerId },
    );
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

  private async safetyBackup(adminUserId: string | null, signal: AbortSignal, progress: Progress): Promise<string> {
    progress('safety-backup', 73);
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

  /** Which current files are replaced or removed (as the scope says), and which staged files go where. */
  private async planFiles(restoreId: string, staged: StagedArchive): Promise<SwapPlan> {
    const setAside: string[] = [];
    for await (const blob of listAll(this.d.blobs, 'users/')) {
      const [, userId, area] = blob.key.split('/');
      if (area !== 'pdfs') continue;
      if (staged.scope.folderAction(userId, staged.documentOwners) !== 'keep') setAside.push(blob.key);
    }
    const existing = new Set(setAside);
    // A document staged before the scope was settled (an archive listing documents before users.json) may no longer belong.
    const placed = staged.targets.filter((t) => staged.scope.acceptsDocument(t.split('/')[1]));
    return { runId: restoreId, markerId: this.d.ids.uuid(), setAside, place: placed.map((target) => ({ target, existedBefore: existing.has(target) })) };
  }

  private async keepCurrentPairings(pairings: Map<string, string>): Promise<void> {
    await this.d.db.records.readSnapshot(async (r) => {
      for await (const u of r.stream('users')) if (u.rmapi_config) pairings.set(String(u.id), String(u.rmapi_config));
    });
  }
}

/**
 * The refusals a restore answers before anything current is touched, decided by the pass of an
 * archive that passed its checks: a newer release's data without force, requested users the archive
 * lacks, no admin left without confirmation.
 */
function refuseUnlessRestorable(input: RestoreInput, analysis: BackupAnalysis, staged: StagedArchive): void {
  if (analysis.version.requires_force && !input.force) {
    throw new DomainError('integrity', 'backup_version_newer',
      `This backup comes from Aviary ${analysis.aviary_version}, newer than ${analysis.version.service}, and holds data this service does not know, which a restore would drop. To restore it anyway, send "force": true (or use the CLI's --force)`);
  }
  if (staged.missingUsers.length > 0) throw new InvalidInputError('invalid_user_ids', `Not in this backup: ${staged.missingUsers.join(', ')}`);
  if (staged.scope.leavesNoAdmin && !input.confirmNoAdmin) throw noAdminLeft();
}

function archiveInvalid(analysis: BackupAnalysis): DomainError {
  return new DomainError('integrity', 'archive_invalid', `The archive is not valid: ${analysis.errors.slice(0, 3).join('; ')}`, { errors: analysis.errors });
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
