import { assertKnownTables, type BackupJob, type BackupOptions, type BackupTrigger } from '../../domain/backup-job';
import { InvalidInputError } from '../../domain/errors';
import { isUuid } from '../../domain/schema/values';
import type { AccountStore } from '../ports/account-store.port';
import type { BackupJobStore } from '../ports/backup-job-store.port';

/** A backup as asked for by an admin, the CLI or the schedule, before it is checked. */
export type BackupRequest = BackupOptions;

/** Every table, every user, documents and configs: what the schedule queues. */
export const FULL_BACKUP: BackupRequest = { includeFiles: true, includeConfigs: true, userIds: [], tables: [] };

/**
 * The checks that need no database (Aviary's tables, ids that are UUIDs), so the CLI refuses a bad request
 * before it opens anything; ids come back lower-case.
 */
export function checkBackupRequest(request: BackupRequest): BackupOptions {
  assertKnownTables(request.tables);
  const bad = request.userIds.filter((id) => !isUuid(id));
  if (bad.length > 0) throw new InvalidInputError('invalid_user_ids', `Not user ids: ${bad.join(', ')}`);
  return {
    includeFiles: request.includeFiles,
    includeConfigs: request.includeConfigs,
    userIds: request.userIds.map((id) => id.toLowerCase()),
    tables: [...request.tables],
  };
}

/**
 * Queues a backup job (`POST /api/admin/backup-job`, `aviary-backup backup create`, BACKUP_SCHEDULE): the
 * tables must be Aviary's and the users must exist, checked when the job is asked for, not when it runs.
 * The worker is told, so a queued job starts now on this process; other replicas find it at their next poll.
 */
export class QueueBackup {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly accounts: AccountStore,
    private readonly onQueued: () => void,
  ) {}

  /** The request checked (every user exists) and normalised; throws InvalidInputError, changing nothing. */
  async check(request: BackupRequest): Promise<BackupOptions> {
    const options = checkBackupRequest(request);
    const unknown: string[] = [];
    for (const id of options.userIds) if (!(await this.accounts.findUserById(id))) unknown.push(id);
    if (unknown.length > 0) throw new InvalidInputError('invalid_user_ids', `Unknown user id(s): ${unknown.join(', ')}`);
    return options;
  }

  /** Queues the job; `wake: false` leaves it for the caller to claim (the CLI runs its own job). */
  async execute(input: {
    readonly request: BackupRequest;
    readonly adminUserId: string | null;
    readonly trigger: BackupTrigger;
    readonly wake?: boolean;
  }): Promise<BackupJob> {
    const options = await this.check(input.request);
    const job = await this.jobs.create({ adminUserId: input.adminUserId, trigger: input.trigger, options });
    if (input.wake !== false) this.onQueued();
    return job;
  }
}
