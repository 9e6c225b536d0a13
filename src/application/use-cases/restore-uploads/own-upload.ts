import { InvalidInputError, NotFoundError } from '../../../domain/errors';
import { isUuid } from '../../../domain/schema/values';
import type { RestoreUpload, RestoreUploadStore } from '../../ports/restore-upload-store.port';

/**
 * The caller's upload: 400 `invalid_upload_id` when `id` is not a UUID; 404 `upload_not_found` when it
 * does not exist, is still arriving, or belongs to another admin (uploads are private to their admin,
 * and saying "not yours" would confirm that the id exists).
 */
export async function findOwnUpload(uploads: RestoreUploadStore, id: string, adminUserId: string): Promise<RestoreUpload> {
  if (!isUuid(id)) throw new InvalidInputError('invalid_upload_id', 'Invalid upload ID');
  const upload = await uploads.get(id.toLowerCase());
  if (!upload || upload.adminUserId !== adminUserId || upload.status === 'receiving') {
    throw new NotFoundError('upload_not_found', 'Upload not found');
  }
  return upload;
}
