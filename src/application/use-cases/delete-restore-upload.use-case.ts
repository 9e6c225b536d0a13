import type { BlobStore } from '../ports/blob-store.port';
import type { RestoreUploadStore } from '../ports/restore-upload-store.port';
import { uploadRemoved } from './analyze-restore-upload.use-case';
import { findOwnUpload } from './restore-uploads/own-upload';
import type { RunningAnalyses } from './restore-uploads/running-analyses';

/**
 * README, HTTP API `DELETE /admin/restore/uploads/:id`: stops the upload's analysis (when it runs in this
 * process), then removes the file and the row, in that order, so a failure half-way leaves a row
 * that the next delete or the expiry pass finishes.
 */
export class DeleteRestoreUpload {
  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly blobs: BlobStore,
    private readonly running: RunningAnalyses,
  ) {}

  async execute(input: { readonly uploadId: string; readonly adminUserId: string }): Promise<void> {
    const upload = await findOwnUpload(this.uploads, input.uploadId, input.adminUserId);
    await this.running.cancel(upload.id, uploadRemoved());
    await this.blobs.delete(upload.storageKey);
    await this.uploads.delete(upload.id);
  }
}
