import type { BlobStore } from '../ports/blob-store.port';
import type { RestoreUploadStore } from '../ports/restore-upload-store.port';
import type { Logger } from '../ports/system.port';
import type { OpenRestoreUpload } from './open-restore-upload.use-case';
import type { RestoreBackup, RestoreInput, RestoreReport } from './restore-backup.use-case';

export type UploadRestoreOptions = Omit<RestoreInput, 'open' | 'sizeBytes' | 'adminUserId'>;

export interface PreparedUploadRestore {
  /** Runs the restore; on success the upload is gone (file and row), as in Aviary. */
  run(): Promise<RestoreReport>;
}

/**
 * `POST /api/admin/restore`: the upload is found (and its owner checked) before anything starts,
 * then restored. A restored upload is removed, so it is never offered, or restored, twice.
 */
export class RestoreFromUpload {
  constructor(
    private readonly open: OpenRestoreUpload,
    private readonly restore: RestoreBackup,
    private readonly uploads: RestoreUploadStore,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  async prepare(input: { readonly uploadId: string; readonly adminUserId: string; readonly options: UploadRestoreOptions }): Promise<PreparedUploadRestore> {
    const opened = await this.open.execute({ uploadId: input.uploadId, adminUserId: input.adminUserId });
    const { upload } = opened;
    return {
      run: async () => {
        const report = await this.restore.execute({
          ...input.options,
          open: () => opened.read(input.options.signal),
          sizeBytes: upload.fileSize,
          adminUserId: input.adminUserId,
        });
        try {
          await this.blobs.delete(upload.storageKey);
          await this.uploads.delete(upload.id);
        } catch (error) {
          // The restore itself succeeded; the expiry pass removes the upload later.
          this.logger.warn('restored upload could not be removed yet', { upload_id: upload.id, error: String(error) });
        }
        return report;
      },
    };
  }
}
