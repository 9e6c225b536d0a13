import { DomainError, isDomainError } from '../../../domain/errors';
import { unwrapAbort } from '../abort-reason';

/**
 * Where a failed restore left things, as the error reports it:
 * - `rolled_back`: every row and file is as it was before the restore began;
 * - `rolling_back`: the database did not commit, but not all previous files are back yet (they are kept
 *   under the restore's scratch space and put back automatically);
 * - `committed`: the archive's rows and files are in place; a step after the commit failed.
 */
export type RestoreState = 'rolled_back' | 'rolling_back' | 'committed';

/** The error a failed restore answers with: the cause's category (so 503 stays 503), its code, and the true state. */
export function restoreFailure(cause: unknown, state: RestoreState): DomainError {
  const original = unwrapAbort(cause);
  const reason = original instanceof Error ? original.message : String(original);
  const message = {
    rolled_back: `Restore failed and was rolled back; every row and file is as it was before: ${reason}`,
    rolling_back:
      `Restore failed (${reason}) and is being undone: not all of the previous files are back yet. They are kept and put back ` +
      'automatically as soon as storage and database answer again (and at the next start); backups and restores wait until then',
    committed: `The restore was committed (the archive's rows and files are in place), but a step after the commit failed: ${reason}`,
  }[state];
  return new DomainError(isDomainError(original) ? original.category : 'internal', 'restore_import_failed', message, {
    state,
    cause: isDomainError(original) ? original.code : undefined,
  });
}
