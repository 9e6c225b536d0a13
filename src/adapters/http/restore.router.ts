import type { Router } from 'express';
import type { RestoreFromUpload } from '../../application/use-cases/restore-from-upload.use-case';
import type { RestorePhase, RestoreReport } from '../../application/use-cases/restore-backup.use-case';
import { checkRestoreRequest } from '../../application/use-cases/restore/restore-request';
import { InvalidInputError, isDomainError, NotFoundError } from '../../domain/errors';
import { isUuid } from '../../domain/schema/values';
import { currentUser } from './auth.middleware';
import { aviaryErrorType, aviaryOperation } from './aviary-error-types';
import type { AdminRouteContribution } from './create-router';
import { withoutServerPaths } from './server-paths';

export interface RestoreRouterDeps {
  readonly restore: RestoreFromUpload;
}

interface AsyncRestore {
  id: string;
  adminUserId: string;
  status: 'running' | 'completed' | 'failed';
  phase: RestorePhase;
  progress: number;
  error: string | null;
  errorType: string | null;
  code: string | null;
  report: ReturnType<typeof presentReport> | null;
  startedAt: string;
  completedAt: string | null;
}

function flag(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new InvalidInputError('invalid_request', `${name} must be true or false`);
  return value;
}

function presentReport(report: RestoreReport) {
  return {
    restore_id: report.restoreId,
    rows: report.rows,
    files_restored: report.filesRestored,
    files_removed: report.filesRemoved,
    safety_backup_job_id: report.safetyBackupJobId,
    warnings: report.warnings.map((w) => withoutServerPaths(w)),
  };
}

/**
 * `POST /api/admin/restore` as Aviary answers it (`{"success":true}` once done), plus `async: true`
 * → 202 and `GET /api/admin/restore/:id` to poll (kept in this process's memory).
 */
export function restoreRoutes(deps: RestoreRouterDeps): AdminRouteContribution {
  const running = new Map<string, AsyncRestore>();
  return (router: Router) => {
    router.post('/restore', aviaryOperation('restore_import_failed'), async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const admin = currentUser(res);
      const uploadId = body.upload_id;
      if (typeof uploadId !== 'string' || !isUuid(uploadId)) throw new InvalidInputError('invalid_upload_id', 'upload_id must be an upload id');
      const userIds = body.user_ids ?? [];
      if (!Array.isArray(userIds) || userIds.some((u) => typeof u !== 'string')) {
        throw new InvalidInputError('invalid_user_ids', 'user_ids must be a list of user ids');
      }
      const options = {
        overwriteFiles: flag(body, 'overwrite_files', true),
        overwriteDatabase: flag(body, 'overwrite_database', true),
        force: flag(body, 'force', false),
        safetyBackup: flag(body, 'safety_backup', true),
        confirmNoAdmin: flag(body, 'confirm_no_admin', false),
      };
      const isAsync = flag(body, 'async', false) || req.query.async === 'true';
      // A bad request is a 400 before the upload is looked up.
      checkRestoreRequest({ ...options, userIds: userIds as string[] });

      const state: AsyncRestore = {
        id: '', adminUserId: admin.id, status: 'running', phase: 'locking', progress: 0,
        error: null, errorType: null, code: null, report: null, startedAt: new Date().toISOString(), completedAt: null,
      };
      const prepared = await deps.restore.prepare({
        uploadId: uploadId.toLowerCase(),
        adminUserId: admin.id,
        options: { userIds: userIds as string[], ...options, onProgress: (phase, percent) => Object.assign(state, { phase, progress: percent }) },
      });
      const work = prepared.run();
      if (!isAsync) {
        const report = await work;
        res.json({ success: true, message: 'Restore completed', ...presentReport(report) });
        return;
      }
      state.id = crypto.randomUUID();
      running.set(state.id, state);
      work.then(
        (report) => Object.assign(state, { status: 'completed', report: presentReport(report), completedAt: new Date().toISOString() }),
        (error) =>
          Object.assign(state, {
            status: 'failed',
            error: withoutServerPaths(error instanceof Error ? error.message : String(error)),
            errorType: aviaryErrorType(isDomainError(error) ? error.code : 'internal_error', isDomainError(error) ? error.category : 'internal', 'restore_import_failed') ?? null,
            code: isDomainError(error) ? error.code : 'internal_error',
            completedAt: new Date().toISOString(),
          }),
      );
      res.status(202).json({ success: true, job_id: state.id, status: 'running', message: 'Restore started' });
    });

    router.get('/restore/:id', aviaryOperation('restore_error'), (req, res) => {
      const state = running.get(String(req.params.id));
      if (!state || state.adminUserId !== currentUser(res).id) throw new NotFoundError('restore_not_found', 'Restore not found');
      res.json({
        job_id: state.id, status: state.status, phase: state.phase, progress: state.progress,
        error: state.error, error_type: state.errorType, code: state.code, started_at: state.startedAt, completed_at: state.completedAt,
        ...(state.report ?? {}),
      });
    });
  };
}
