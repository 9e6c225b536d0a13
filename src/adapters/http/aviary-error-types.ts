import type { RequestHandler, Response } from 'express';
import type { ErrorCategory } from '../../domain/errors';

/**
 * The `error_type` keys Aviary's web UI translates. It shows any other key raw, so an answer carries
 * one of these or none; the precise reason travels in `error` (text) and `code` (ours, stable).
 */
export const AVIARY_ERROR_TYPES: ReadonlySet<string> = new Set([
  'backup_analyze', 'backup_analyze_failed', 'backup_create', 'backup_download', 'backup_file_type',
  'backup_file_unavailable', 'backup_invalid', 'backup_job_not_found', 'backup_not_found', 'backup_not_ready',
  'create_backup_job_failed', 'create_temp_file_failed', 'delete_backup_job_failed', 'get_backup_jobs_failed',
  'get_file_info_failed', 'invalid_job_id', 'invalid_request', 'invalid_upload_id', 'no_backup_file',
  'parse_form_failed', 'restore_cancel_failed', 'restore_delete_failed', 'restore_delete_record_failed',
  'restore_error', 'restore_failed', 'restore_import_failed', 'save_upload_record_failed',
  'save_uploaded_file_failed', 'upload_not_found',
]);

export type AviaryErrorType = typeof AVIARY_ERROR_TYPES extends ReadonlySet<infer T> ? T : never;

/** Our codes whose meaning one of Aviary's keys names exactly, whatever the route. */
const SAME_MEANING: Readonly<Record<string, string>> = {
  invalid_file_type: 'backup_file_type',
  archive_file_missing: 'backup_file_unavailable',
  multipart_malformed: 'parse_form_failed',
};

const OPERATION = 'aviaryOperation';

/**
 * Names the route's operation by the key Aviary's UI shows when that operation fails
 * (`restore_import_failed` for a restore, `backup_download` for a download, …).
 */
export function aviaryOperation(errorType: string): RequestHandler {
  if (!AVIARY_ERROR_TYPES.has(errorType)) throw new Error(`${errorType} is not an error_type Aviary's UI knows`);
  return (_req, res, next) => {
    res.locals[OPERATION] = errorType;
    next();
  };
}

export function operationOf(res: Response): string | undefined {
  const value = res.locals[OPERATION];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The `error_type` of an error: our code when Aviary has the same key, a key of the same meaning,
 * `invalid_request` for any other refused input, the route's operation key for everything else.
 * None for authentication answers (Aviary's carry only `error`) and outside Aviary's operations.
 */
export function aviaryErrorType(code: string, category: ErrorCategory, operation: string | undefined): string | undefined {
  if (category === 'unauthenticated' || category === 'forbidden') return undefined;
  if (AVIARY_ERROR_TYPES.has(code)) return code;
  if (SAME_MEANING[code]) return SAME_MEANING[code];
  if (category === 'invalid') return 'invalid_request';
  return operation;
}
