import type { RestoreUpload, RestoreUploadStore } from '../ports/restore-upload-store.port';
import type { Clock } from '../ports/system.port';
import { STALE_ANALYSIS_MS } from './restore-uploads/analysis-progress';
import { findOwnUpload } from './restore-uploads/own-upload';
import type { RunningAnalyses } from './restore-uploads/running-analyses';

export type PreparationState = 'not_started' | 'running' | 'completed' | 'failed';

/** The analysis ("preparation") of an upload as Aviary's extraction-status reports it. */
export interface PreparationStatus {
  /** The analysis is identified by its upload; null before the first one. */
  readonly jobId: string | null;
  readonly state: PreparationState;
  readonly progress: number;
  readonly message: string;
  readonly error: string | null;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly jobExists: boolean;
}

const INTERRUPTED = 'The analysis stopped before it finished (the service was restarted); analyze the upload again';

/** README, HTTP API `GET /admin/restore/uploads/:id/extraction-status`. */
export class GetRestoreUploadStatus {
  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly running: RunningAnalyses,
    private readonly clock: Clock,
  ) {}

  async execute(input: { readonly uploadId: string; readonly adminUserId: string }): Promise<PreparationStatus> {
    const upload = await findOwnUpload(this.uploads, input.uploadId, input.adminUserId);
    const base = {
      jobId: upload.id, progress: upload.progress, message: upload.message ?? '', error: upload.error,
      startedAt: upload.analysisStartedAt, completedAt: upload.analysisCompletedAt, jobExists: true,
    };
    switch (upload.status) {
      case 'analyzing':
        return this.isStale(upload) ? { ...base, state: 'failed', message: 'Analysis failed', error: INTERRUPTED } : { ...base, state: 'running' };
      case 'analyzed':
        return { ...base, state: 'completed', progress: 100 };
      case 'failed':
        return { ...base, state: 'failed' };
      default:
        return {
          jobId: null, state: 'not_started', progress: 0, message: 'The upload has not been analyzed yet', error: null,
          startedAt: null, completedAt: null, jobExists: false,
        };
    }
  }

  /** Its process died: not running here, and no heartbeat from anywhere for a while. */
  private isStale(upload: RestoreUpload): boolean {
    if (this.running.has(upload.id)) return false;
    const beat = upload.heartbeatAt ?? upload.analysisStartedAt;
    return !beat || this.clock.now().getTime() - beat.getTime() > STALE_ANALYSIS_MS;
  }
}
