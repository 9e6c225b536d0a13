import { InvalidInputError } from '../../../domain/errors';
import { isUuid } from '../../../domain/schema/values';

export interface RestoreRequestShape {
  readonly overwriteDatabase: boolean;
  readonly overwriteFiles: boolean;
  readonly userIds: readonly string[];
}

/**
 * The checks a restore request passes before anything is looked up (so a bad request is a 400,
 * never a 404 for an upload it did not get to). The HTTP router, the CLI and the use case call it.
 */
export function checkRestoreRequest(request: RestoreRequestShape): void {
  if (!request.overwriteDatabase && !request.overwriteFiles) {
    throw new InvalidInputError('nothing_to_restore', 'Choose overwrite_database, overwrite_files or both');
  }
  const bad = request.userIds.filter((id) => !isUuid(id));
  if (bad.length > 0) throw new InvalidInputError('invalid_user_ids', `Not user ids: ${bad.map((id) => JSON.stringify(id)).join(', ')}`);
}
