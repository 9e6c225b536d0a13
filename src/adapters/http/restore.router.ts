import type { Router } from 'express';
import type { RestoreFromUpload } from '../../application/use-cases/restore-from-upload.use-case';
import type { RestorePhase, RestoreReport } from '../../application/use-cases/restore-backup.use-case';
import { checkRestoreRequest } from '../../application/use-cases/restore/restore-request';
import { isDomainError, NotFoundError } from '../../domain/errors';
import { currentUser } from './auth.middleware';
import { aviaryErrorType, aviaryOperation } from './aviary-error-types';
import type { AdminRouteContribution } from './create-router';
import { parseInput, RESTORE_BODY_CODES, restoreBody, restoreQuery } from './request-schemas';
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
      const body = parseInput(restoreBody, req.body, RESTORE_BODY_CODES);
      const admin = currentUser(res);
      const { upload_id: uploadId, user_ids: userIds } = body;
      const options = {
        overwriteFiles: body.overwrite_files,
        overwriteDatabase: body.overwrite_database,
        force: body.force,
        safetyBackup: body.safety_backup,
        confirmNoAdmin: body.confirm_no_admin,
      };
      const isAsync = body.async || parseInput(restoreQuery, req.query).async;
      // A bad request is a 400 before the upload is looked up.
      checkRestoreRequest({ ...options, userIds });

      const state: AsyncRestore = {
        id: '', adminUserId: admin.id, status: 'running', phase: 'locking', progress: 0,
        error: null, errorType: null, code: null, report: null, startedAt: new Date().toISOString(), completedAt: null,
      };
      const prepared = await deps.restore.prepare({
        uploadId: uploadId.toLowerCase(),
        adminUserId: admin.id,
        options: { userIds, ...options, onProgress: (phase, percent) => Object.assign(state, { phase, progress: percent }) },
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
