import { isDomainError, NotFoundError } from '../../domain/errors';
import { ARCHIVE_READ_BYTES, type BlobStore, type ByteStream } from '../ports/blob-store.port';
import type { RestoreUpload, RestoreUploadStore } from '../ports/restore-upload-store.port';
import { findOwnUpload } from './restore-uploads/own-upload';

export interface OpenedRestoreUpload {
  /** The row, with the stored analysis (`upload.analysis`, null until analyzed). */
  readonly upload: RestoreUpload;
  /** A new stream of the archive's bytes on every call (one per pass over the archive). */
  read(signal?: AbortSignal): Promise<ByteStream>;
}

/**
 * How restore reaches an upload: the same id checks and errors as the upload endpoints
 * (400 `invalid_upload_id`, 404 `upload_not_found`, also for another admin's upload), then the
 * bytes from wherever the storage backend keeps them, so any replica can restore.
 */
export class OpenRestoreUpload {
  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly blobs: BlobStore,
  ) {}

  async execute(input: { readonly uploadId: string; readonly adminUserId: string }): Promise<OpenedRestoreUpload> {
    const upload = await findOwnUpload(this.uploads, input.uploadId, input.adminUserId);
    return { upload, read: (signal) => this.read(upload, signal) };
  }

  private async read(upload: RestoreUpload, signal?: AbortSignal): Promise<ByteStream> {
    try {
      return await this.blobs.get(upload.storageKey, { signal, readSize: ARCHIVE_READ_BYTES });
    } catch (error) {
      if (isDomainError(error) && error.code === 'blob_not_found') {
        throw new NotFoundError('upload_not_found', 'The uploaded file is no longer in storage; upload it again');
      }
      throw error;
    }
  }
}
