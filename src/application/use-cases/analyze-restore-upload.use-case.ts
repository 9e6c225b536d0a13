import { ConflictError, isDomainError, NotFoundError } from '../../domain/errors';
import { ARCHIVE_READ_BYTES, type BlobStore } from '../ports/blob-store.port';
import type { RestoreUpload, RestoreUploadStore } from '../ports/restore-upload-store.port';
import type { Clock, Logger } from '../ports/system.port';
import { AnalysisProgress } from './restore-uploads/analysis-progress';
import { findOwnUpload } from './restore-uploads/own-upload';
import type { RunningAnalyses } from './restore-uploads/running-analyses';
import type { BackupAnalysis, ValidateArchive } from './validate-archive.use-case';

export interface AnalyzeRestoreUploadInput {
  readonly uploadId: string;
  readonly adminUserId: string;
}

/** Why a cancelled analysis stopped; DeleteRestoreUpload and the expiry pass abort with it. */
export const uploadRemoved = () => new ConflictError('analysis_cancelled', 'The analysis was cancelled: the upload was deleted');

/**
 * Checks an uploaded archive end to end (docs/archive-format.md) and stores the result on its row, where restore
 * finds it. Progress is written while it runs (extraction-status reads it); a second request for the
 * same upload joins the running analysis. A new request analyzes again: the result also counts the
 * rows the database holds now.
 */
export class AnalyzeRestoreUpload {
  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly blobs: BlobStore,
    private readonly validate: ValidateArchive,
    private readonly running: RunningAnalyses,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(input: AnalyzeRestoreUploadInput): Promise<BackupAnalysis> {
    const upload = await findOwnUpload(this.uploads, input.uploadId, input.adminUserId);
    return this.running.joinOrStart(upload.id, (signal) => this.analyze(upload, signal));
  }

  private async analyze(upload: RestoreUpload, signal: AbortSignal): Promise<BackupAnalysis> {
    const startedAt = this.clock.now();
    const started = await this.uploads.update(
      upload.id,
      { status: 'analyzing', progress: 0, message: 'Checking the archive', error: null, analysisStartedAt: startedAt, analysisCompletedAt: null, heartbeatAt: startedAt },
      ['uploaded', 'analyzing', 'analyzed', 'failed'],
    );
    if (!started) throw new NotFoundError('upload_not_found', 'Upload not found');
    const progress = new AnalysisProgress(this.uploads, upload.id, this.clock, this.logger);
    progress.start();
    try {
      const source = await this.blobs.get(upload.storageKey, { signal, readSize: ARCHIVE_READ_BYTES });
      const analysis = await this.validate.execute({
        source, sizeBytes: upload.fileSize, signal, onProgress: (p) => progress.report(p.percent),
      });
      await progress.stop();
      const message = analysis.valid
        ? 'Analysis complete: the archive is valid'
        : `Analysis complete: the archive is invalid (${analysis.errors.length} error${analysis.errors.length === 1 ? '' : 's'})`;
      await this.uploads.update(
        upload.id,
        { status: 'analyzed', analysis, progress: 100, message, error: null, analysisCompletedAt: this.clock.now(), heartbeatAt: null },
        ['analyzing'],
      );
      return analysis;
    } catch (error) {
      await progress.stop();
      const failure = this.failure(error, signal);
      await this.uploads
        .update(upload.id, { status: 'failed', message: 'Analysis failed', error: failure.message, analysisCompletedAt: this.clock.now(), heartbeatAt: null }, ['analyzing'])
        .catch(() => undefined);
      throw failure;
    }
  }

  private failure(error: unknown, signal: AbortSignal): Error {
    if (signal.aborted) return signal.reason instanceof Error ? signal.reason : uploadRemoved();
    if (isDomainError(error) && error.code === 'blob_not_found') {
      return new NotFoundError('upload_not_found', 'The uploaded file is no longer in storage; upload it again');
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}
