import { isUuid } from '../../domain/schema/values';
import type { BlobStore } from '../ports/blob-store.port';
import { RESTORE_UPLOADS_PREFIX, restoreUploadIdOfKey, type RestoreUploadStore } from '../ports/restore-upload-store.port';
import type { Clock, Logger } from '../ports/system.port';
import { uploadRemoved } from './analyze-restore-upload.use-case';
import { STALE_ANALYSIS_MS } from './restore-uploads/analysis-progress';
import type { RunningAnalyses } from './restore-uploads/running-analyses';

export interface UploadExpiryReport {
  /** Uploads past their expires_at, removed with their files. */
  readonly expired: number;
  /** Files under tmp/uploads/ without a row (what a crash or a failed cleanup left). */
  readonly orphanFiles: number;
  /** Analyses whose process died, marked failed. */
  readonly interrupted: number;
}

/**
 * Removes expired uploads (file first, then row: a half-done removal leaves a row the next pass
 * finishes), files under `tmp/uploads/` that no row owns, and marks analyses abandoned by a dead
 * process as failed. Rows are written before their file, so a file without a row is never one
 * still arriving. Safe to run on several replicas at once.
 */
export class ExpireRestoreUploads {
  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly blobs: BlobStore,
    private readonly running: RunningAnalyses,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(): Promise<UploadExpiryReport> {
    const now = this.clock.now();
    let expired = 0;
    for (const upload of await this.uploads.listExpired(now)) {
      await this.running.cancel(upload.id, uploadRemoved());
      await this.blobs.delete(upload.storageKey);
      await this.uploads.delete(upload.id);
      expired++;
    }
    let interrupted = 0;
    for (const upload of await this.uploads.listStaleAnalyses(new Date(now.getTime() - STALE_ANALYSIS_MS))) {
      if (this.running.has(upload.id)) continue;
      const marked = await this.uploads.update(
        upload.id,
        { status: 'failed', message: 'Analysis failed', error: 'The analysis stopped before it finished (the service was restarted); analyze the upload again', heartbeatAt: null, analysisCompletedAt: now },
        ['analyzing'],
      );
      if (marked) interrupted++;
    }
    const orphanFiles = await this.removeOrphanFiles();
    if (expired + orphanFiles + interrupted > 0) this.logger.info('restore uploads cleaned up', { expired, orphan_files: orphanFiles, interrupted });
    return { expired, orphanFiles, interrupted };
  }

  private async removeOrphanFiles(): Promise<number> {
    let removed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.blobs.listPage(RESTORE_UPLOADS_PREFIX, { cursor });
      const owners = page.items.map((item) => ({ key: item.key, id: restoreUploadIdOfKey(item.key) }));
      const known = await this.uploads.existing(owners.flatMap((o) => (o.id && isUuid(o.id) ? [o.id] : [])));
      for (const { key, id } of owners) {
        if (id && known.has(id)) continue;
        await this.blobs.delete(key);
        removed++;
      }
      cursor = page.cursor;
    } while (cursor);
    return removed;
  }
}
