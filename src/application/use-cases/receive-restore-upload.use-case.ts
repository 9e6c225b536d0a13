import { ConflictError } from '../../domain/errors';
import type { BlobStore, ByteStream } from '../ports/blob-store.port';
import type { FaultPoints } from '../ports/fault-points.port';
import { restoreUploadKey, type RestoreUpload, type RestoreUploadStore } from '../ports/restore-upload-store.port';
import type { Clock, IdGenerator } from '../ports/system.port';

export interface ReceiveRestoreUploadInput {
  readonly adminUserId: string;
  /** Display name, already sanitised by the caller. */
  readonly filename: string;
  /** The archive's bytes; the caller enforces the size cap by making this stream throw. */
  readonly body: ByteStream;
  readonly signal?: AbortSignal;
}

/**
 * Stores an uploaded archive for a later analyze and restore (README, HTTP API `POST /admin/restore/upload`).
 * The row is written first (status `receiving`), so a stored blob always has a row and anything
 * under `tmp/uploads/` without one is debris; the blob appears atomically once complete. On any
 * failure, blob and row are both removed before the error is rethrown.
 */
export class ReceiveRestoreUpload {
  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly blobs: BlobStore,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly options: { readonly retentionHours: number },
    private readonly faults?: FaultPoints,
  ) {}

  async execute(input: ReceiveRestoreUploadInput): Promise<RestoreUpload> {
    const id = this.ids.uuid();
    const storageKey = restoreUploadKey(id);
    await this.uploads.create({ id, adminUserId: input.adminUserId, filename: input.filename, storageKey, expiresAt: this.expiry() });
    try {
      const stored = await this.blobs.put(storageKey, this.afterFirstChunk(input.body), { signal: input.signal });
      const arrived = await this.uploads.update(id, { status: 'uploaded', fileSize: stored.size, expiresAt: this.expiry() }, ['receiving']);
      if (!arrived) throw new ConflictError('upload_removed', 'The upload was removed while it was arriving');
      return (await this.uploads.get(id))!;
    } catch (error) {
      await this.discardById(id, storageKey);
      throw error;
    }
  }

  /** The body as it arrives; the fault point `upload.mid-body` sits after its first chunk. */
  private async *afterFirstChunk(body: ByteStream): AsyncGenerator<Uint8Array> {
    let first = true;
    for await (const chunk of body) {
      yield chunk;
      if (first) await this.faults?.reach('upload.mid-body');
      first = false;
    }
  }

  /** Removes an upload this use case stored, when the request fails after it arrived. */
  async discard(upload: RestoreUpload): Promise<void> {
    await this.discardById(upload.id, upload.storageKey);
  }

  private async discardById(id: string, storageKey: string): Promise<void> {
    // Best effort: what stays behind (database or storage down) is removed by the expiry pass.
    await this.blobs.delete(storageKey).catch(() => undefined);
    await this.uploads.delete(id).catch(() => undefined);
  }

  private expiry(): Date {
    return new Date(this.clock.now().getTime() + this.options.retentionHours * 3_600_000);
  }
}
