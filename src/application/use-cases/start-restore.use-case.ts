import { InvalidInputError } from '../../domain/errors';
import { isUuid } from '../../domain/schema/values';
import type { RestoreRunReport, RestoreRunStore } from '../ports/restore-run-store.port';
import type { Clock, IdGenerator, Logger } from '../ports/system.port';
import type { RestoreFromUpload, UploadRestoreOptions } from './restore-from-upload.use-case';
import { checkRestoreRequest } from './restore/restore-request';
import { RESTORE_HEARTBEAT_MS, RunProgressWriter, RunsInThisProcess, toRunFailure, toRunReport } from './restore/restore-runs';

export interface StartRestoreInput {
  readonly uploadId: string;
  readonly adminUserId: string;
  readonly options: Omit<UploadRestoreOptions, 'onProgress' | 'signal'>;
}

/**
 * `POST /api/admin/restore`: checks the request, finds the upload, then either restores while the caller
 * waits (`run`) or records a restore run and restores in the background (`start`). A background run's
 * progress and outcome live in the database, so any replica answers for it (GetRestoreStatus).
 */
export class StartRestore {
  constructor(
    private readonly restore: RestoreFromUpload,
    private readonly runs: RestoreRunStore,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Shared with GetRestoreStatus, which answers for these runs without the database. */
    private readonly local = new RunsInThisProcess(),
    private readonly heartbeatMs = RESTORE_HEARTBEAT_MS,
  ) {}

  /** Restores now; resolves with the report once done. */
  async run(input: StartRestoreInput): Promise<RestoreRunReport> {
    const prepared = await this.prepare(input);
    return toRunReport(await prepared.run());
  }

  /** Starts the restore and resolves with its run id once the upload was found and the run recorded. */
  async start(input: StartRestoreInput): Promise<{ readonly runId: string }> {
    const runId = this.ids.uuid();
    const progress = new RunProgressWriter(this.runs, runId, this.clock, this.logger, 'locking');
    const prepared = await this.prepare(input, (phase, percent) => {
      this.local.report(runId, phase, percent);
      progress.report(phase, percent);
    });
    const startedAt = this.clock.now();
    await this.runs.create({ id: runId, adminUserId: input.adminUserId, phase: 'locking', startedAt });
    this.local.begin(runId, input.adminUserId, startedAt, 'locking');
    const heartbeat = setInterval(() => progress.beat(), this.heartbeatMs);
    heartbeat.unref?.();
    void prepared.run()
      .then((report) => ({ status: 'completed' as const, report: toRunReport(report) }))
      .catch((error: unknown) => {
        this.logger.error('restore failed', { restore_id: runId, error });
        return { status: 'failed' as const, failure: toRunFailure(error) };
      })
      .then(async (outcome) => {
        clearInterval(heartbeat);
        try {
          await progress.settled();
          await this.runs.finish(runId, outcome, this.clock.now());
        } finally {
          this.local.end(runId);
        }
      })
      .catch((error: unknown) => this.logger.error('the end of a restore could not be recorded', { restore_id: runId, error: String(error) }));
    return { runId };
  }

  private prepare(input: StartRestoreInput, onProgress?: UploadRestoreOptions['onProgress']) {
    if (!isUuid(input.uploadId)) throw new InvalidInputError('invalid_upload_id', 'upload_id must be an upload id');
    // A bad request is refused before the upload is looked up.
    checkRestoreRequest(input.options);
    return this.restore.prepare({
      uploadId: input.uploadId.toLowerCase(),
      adminUserId: input.adminUserId,
      options: { ...input.options, onProgress },
    });
  }
}
