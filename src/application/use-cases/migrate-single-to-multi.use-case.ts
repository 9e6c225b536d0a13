import { isAviaryFormatKey, oldApiKeyTag } from '../../domain/api-key';
import { apiKeyLookupPrefixes, storedApiKeyPrefix } from '../auth/api-key-prefixes';
import type { ApiKeyTagger } from '../ports/api-key-tagger.port';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors';
import type { AccountStore, UserAccount } from '../ports/account-store.port';
import type { FaultPoints } from '../ports/fault-points.port';
import type { BlobInfo, BlobStore } from '../ports/blob-store.port';
import { BACKUP_RESTORE_LOCK, type LockHolder, type LockStore } from '../ports/lock-store.port';
import type { MigrationRunStore } from '../ports/migration-run-store.port';
import type { PairingFileSource } from '../ports/pairing-file-source.port';
import type { Clock, Logger, PasswordHasher } from '../ports/system.port';
import { listAll } from './blob-listing';
import type { SingleUserDocuments } from '../ports/single-user-documents.port';
import { describe, DocumentMover, planMove } from './single-to-multi/document-mover';
import { LeaseKeeper } from './lease-keeper';
import {
  type ApiKeyOutcome, emptyReport, type MigrationProgress, type PairingOutcome, type PreviewDocument,
  type SingleToMultiPreview, type SingleToMultiReport, type SingleToMultiResult,
} from './single-to-multi/report';

export * from './single-to-multi/report';

export const SINGLE_TO_MULTI_KIND = 'single-to-multi';
/** The name Aviary gives the key it makes from API_KEY. */
export const MIGRATED_API_KEY_NAME = 'Migrated from API_KEY env var';

export interface MigrateSingleToMultiDeps {
  /** The single-user documents, or why they cannot be read safely (e.g. PDF_DIR contains DATA_DIR). */
  readonly documents: SingleUserDocuments | { readonly problem: string };
  readonly target: BlobStore;
  readonly accounts: AccountStore;
  readonly pairing: PairingFileSource;
  readonly hasher: PasswordHasher;
  /** Keyed lookup tags of keys stored without their first characters. */
  readonly tagger: ApiKeyTagger;
  readonly runs: MigrationRunStore;
  /** Runs take the global backup/restore lease: one migration, backup or restore at a time. */
  readonly locks: LockStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This process as the lease holder. */
  readonly holder: LockHolder;
  /** The single-user API_KEY, when set. */
  readonly apiKey?: string;
  readonly lockTtlMs?: number;
  /** True for a lease holder whose process is certainly gone (e.g. killed on this host). */
  readonly isDeadHolder?: (holder: LockHolder) => boolean;
  readonly faults?: FaultPoints;
}

export interface ExecuteInput {
  /** The admin who asked for the run (recorded); absent for startup and CLI runs. */
  readonly adminUserId?: string;
  readonly onProgress?: (progress: MigrationProgress) => void;
  /** How long to wait for a busy lease before answering 409; 0 = not at all. */
  readonly waitForLockMs?: number;
}

/**
 * docs/single-to-multi.md: moves the single-user pairing file, documents and API_KEY into the first admin's account.
 * Every step is idempotent, so a run interrupted at any point is finished by the next one.
 */
export class MigrateSingleToMulti {
  private running = false;

  constructor(private readonly deps: MigrateSingleToMultiDeps) {}

  /** What a run would do now; reads only. */
  async preview(): Promise<SingleToMultiPreview> {
    const admin = await this.deps.accounts.findFirstAdmin();
    const warnings: string[] = [];
    const documents = await this.previewDocuments(admin, warnings);
    const moving = documents.filter((d) => d.action !== 'skip');
    let present = false;
    try {
      present = (await this.deps.pairing.read()) !== null;
    } catch (error) {
      warnings.push(`The pairing file (RMAPI_CONFIG_PATH) cannot be read (${describe(error)})`);
    }
    const willApply = present && !(admin?.rmapiPaired ?? false);
    const apiKey = !this.deps.apiKey ? 'not-configured' : (await this.apiKeyPresent(this.deps.apiKey, false)) ? 'already-present' : 'will-create';
    return {
      pending: moving.length > 0 || willApply || apiKey === 'will-create',
      targetUser: admin && { id: admin.id, username: admin.username },
      documents,
      documentCount: moving.length,
      totalBytes: moving.reduce((sum, d) => sum + d.size, 0),
      pairing: { present, willApply },
      apiKey,
      warnings,
    };
  }

  /** Runs the migration under the global lease and records it; 409 (ConflictError) while another runs. */
  async execute(input: ExecuteInput = {}): Promise<SingleToMultiResult> {
    if (this.running) throw busy();
    this.running = true;
    try {
      const lease = new LeaseKeeper(this.deps.locks, BACKUP_RESTORE_LOCK, this.deps.holder, {
        ttlMs: this.deps.lockTtlMs ?? 20_000,
        isDeadHolder: this.deps.isDeadHolder,
      });
      if (!(await lease.acquire('single-user migration', input.waitForLockMs ?? 0))) throw busy();
      try {
        return await this.run(input, lease);
      } finally {
        await lease.release();
      }
    } finally {
      this.running = false;
    }
  }

  private async run(input: ExecuteInput, lease: LeaseKeeper): Promise<SingleToMultiResult> {
    const { runs, accounts, clock, logger } = this.deps;
    const recorded = await recordedTarget(runs);
    const interrupted = await runs.failRunning(SINGLE_TO_MULTI_KIND, {
      ...(recorded ? { targetUserId: recorded } : {}),
      error: 'interrupted: the process stopped before the run finished',
    });
    const { admin, warning } = await this.target(recorded);
    const report = emptyReport(admin.id);
    // Recorded before any document moves, so a run killed at any point is finished into the same account.
    const run = await runs.start(SINGLE_TO_MULTI_KIND, input.adminUserId ?? null, report);
    if (warning) report.warnings.push(warning);
    if (interrupted > 0) report.warnings.push(`${interrupted} earlier run(s) had been interrupted; this run finishes their work`);
    try {
      report.pairing = await this.migratePairing(admin, report);
      report.apiKey = await this.migrateApiKey(admin);
      await this.migrateDocuments(admin, report, lease, input.onProgress);
    } catch (error) {
      report.error = describe(error);
      logger.error('single-user migration stopped', { error: error instanceof Error ? error.message : String(error) });
      await runs.finish(run.id, 'failed', report).catch(() => undefined);
      throw error;
    }
    const status = report.failed.length > 0 || report.pairing === 'failed' ? 'failed' : 'completed';
    await runs.finish(run.id, status, report);
    return { runId: run.id, status, startedAt: run.startedAt, completedAt: clock.now(), report };
  }

  /**
   * The admin of the latest recorded run while that account is still an active admin (documents must
   * never be split between accounts), else the oldest active admin.
   */
  private async target(recorded: string | null): Promise<{ admin: UserAccount; warning?: string }> {
    const previous = recorded ? await this.deps.accounts.findUserById(recorded) : null;
    if (previous?.isAdmin && previous.isActive) return { admin: previous };
    const admin = await this.deps.accounts.findFirstAdmin();
    if (!admin) throw new NotFoundError('admin_not_found', 'No active admin user exists to receive the single-user data');
    const warning = recorded
      ? `The admin that earlier runs moved documents to (${recorded}) is no longer an active admin; the rest go to ${admin.username}`
      : undefined;
    return { admin, warning };
  }

  private async migratePairing(admin: UserAccount, report: SingleToMultiReport): Promise<PairingOutcome> {
    let text: string | null;
    try {
      text = await this.deps.pairing.read();
    } catch (error) {
      report.warnings.push(`The pairing file (RMAPI_CONFIG_PATH) cannot be read (${describe(error)})`);
      return 'failed';
    }
    if (text === null) return 'absent';
    return (await this.deps.accounts.setRmapiConfigIfEmpty(admin.id, text)) ? 'migrated' : 'kept-existing';
  }

  /** A key that verifies against API_KEY counts even when deactivated: an admin's revocation stands. */
  private async migrateApiKey(admin: UserAccount): Promise<ApiKeyOutcome> {
    const key = this.deps.apiKey;
    if (!key) return 'not-configured';
    if (await this.apiKeyPresent(key, true)) return 'already-present';
    await this.deps.accounts.createApiKey({
      userId: admin.id,
      name: MIGRATED_API_KEY_NAME,
      keyHash: await this.deps.hasher.hash(key),
      keyPrefix: storedApiKeyPrefix(key, this.deps.tagger),
    });
    return 'created';
  }

  /**
   * Whether a stored key verifies against API_KEY, wherever it is filed: under the current tag or
   * prefix, under the 16-bit tag of earlier versions, or under a tag made with another installation's
   * secret (a database moved here). Such a row is re-filed under the current tag when `refile` is
   * set, so requests find it. Runs at start with the operator's own key: these bcrypt calls are not
   * a caller's guesses.
   */
  private async apiKeyPresent(key: string, refile: boolean): Promise<boolean> {
    const { accounts, hasher, tagger } = this.deps;
    const current = storedApiKeyPrefix(key, tagger);
    const direct = await accounts.findApiKeysByPrefix(...apiKeyLookupPrefixes(key, tagger), oldApiKeyTag(key));
    const seen = new Set(direct.map((k) => k.id));
    const elsewhere = (await accounts.findTaggedApiKeys()).filter((k) => !seen.has(k.id));
    for (const candidate of [...direct, ...elsewhere]) {
      if (!(await hasher.verify(key, candidate.keyHash))) continue;
      if (refile && !isAviaryFormatKey(candidate.keyPrefix) && candidate.keyPrefix !== current) {
        await accounts.setApiKeyPrefix(candidate.id, current);
      }
      return true;
    }
    return false;
  }


  private async migrateDocuments(
    admin: UserAccount, report: SingleToMultiReport, lease: LeaseKeeper, onProgress?: (p: MigrationProgress) => void,
  ): Promise<void> {
    const source = this.deps.documents;
    if ('problem' in source) {
      report.warnings.push(source.problem);
      return;
    }
    const listed = await this.list(source);
    const plans = listed.map((info) => planMove(source, info, admin.id));
    const progress = { filesDone: 0, filesTotal: plans.length, bytesDone: 0, bytesTotal: listed.reduce((s, i) => s + i.size, 0) };
    const mover = new DocumentMover(source, this.deps.target, this.deps.logger, this.deps.faults);
    for (const plan of plans) {
      lease.signal.throwIfAborted();
      await this.deps.faults?.reach('single-to-multi.before-document');
      if (plan.kind === 'skip') report.skipped.push({ path: plan.path, reason: plan.reason });
      else await mover.move(plan, report);
      progress.filesDone++;
      progress.bytesDone += plan.info.size;
      onProgress?.({ ...progress });
    }
  }

  private async previewDocuments(admin: UserAccount | null, warnings: string[]): Promise<PreviewDocument[]> {
    const source = this.deps.documents;
    if ('problem' in source) {
      warnings.push(source.problem);
      return [];
    }
    const documents: PreviewDocument[] = [];
    // Without an admin the target is unknown: a placeholder id only shapes the key check.
    const targetId = admin?.id ?? '00000000-0000-0000-0000-000000000000';
    for (const info of await this.list(source)) {
      const plan = planMove(source, info, targetId);
      if (plan.kind === 'skip') documents.push({ path: plan.path, size: info.size, action: 'skip', reason: plan.reason });
      else {
        const exists = admin !== null && (await this.deps.target.stat(plan.to)) !== null;
        documents.push({ path: plan.path, size: info.size, action: exists ? 'verify-existing' : 'move' });
      }
    }
    return documents;
  }

  private async list(source: SingleUserDocuments): Promise<BlobInfo[]> {
    const items: BlobInfo[] = [];
    for await (const info of listAll(source.blobs, source.prefix)) items.push(info);
    return items;
  }
}

/** The target of the newest run that recorded one: every later run continues into that account. */
async function recordedTarget(runs: MigrationRunStore): Promise<string | null> {
  for (const run of await runs.list(SINGLE_TO_MULTI_KIND, 100)) {
    const target = (run.report as { targetUserId?: unknown } | null)?.targetUserId;
    if (typeof target === 'string') return target;
  }
  return null;
}

function busy(): ConflictError {
  return new ConflictError('operation_in_progress', 'A single-user migration, backup or restore is already running; try again when it has finished');
}
