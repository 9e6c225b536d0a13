import type { Router } from 'express';
import type { RestoreRun, RestoreRunReport } from '../../application/ports/restore-run-store.port';
import type { GetRestoreStatus } from '../../application/use-cases/get-restore-status.use-case';
import type { StartRestore } from '../../application/use-cases/start-restore.use-case';
import { currentUser } from './auth.middleware';
import { aviaryErrorType, aviaryOperation } from './aviary-error-types';
import type { AdminRouteContribution } from './create-router';
import { parseInput, RESTORE_BODY_CODES, restoreBody, restoreQuery } from './request-schemas';
import { withoutServerPaths } from './server-paths';

export interface RestoreRouterDeps {
  readonly start: StartRestore;
  readonly status: GetRestoreStatus;
}

function presentReport(report: RestoreRunReport) {
  return {
    restore_id: report.restoreId,
    rows: report.rows,
    files_restored: report.filesRestored,
    files_removed: report.filesRemoved,
    safety_backup_job_id: report.safetyBackupJobId,
    warnings: report.warnings.map((w) => withoutServerPaths(w)),
  };
}

function presentRun(run: RestoreRun) {
  const failure = run.failure;
  return {
    job_id: run.id,
    status: run.status,
    phase: run.phase,
    progress: run.progress,
    error: failure ? withoutServerPaths(failure.message) : null,
    error_type: failure ? (aviaryErrorType(failure.code, failure.category, 'restore_import_failed') ?? null) : null,
    code: failure?.code ?? null,
    started_at: run.startedAt.toISOString(),
    completed_at: run.completedAt?.toISOString() ?? null,
    ...(run.report ? presentReport(run.report) : {}),
  };
}

/**
 * `POST /api/admin/restore` as Aviary answers it (`{"success":true}` once done), plus `async: true`
 * → 202 and `GET /api/admin/restore/:id` to poll, answered by any replica (docs/restore-and-archives.md).
 */
export function restoreRoutes(deps: RestoreRouterDeps): AdminRouteContribution {
  return (router: Router) => {
    router.post('/restore', aviaryOperation('restore_import_failed'), async (req, res) => {
      const body = parseInput(restoreBody, req.body, RESTORE_BODY_CODES);
      const input = {
        uploadId: body.upload_id,
        adminUserId: currentUser(res).id,
        options: {
          userIds: body.user_ids,
          overwriteFiles: body.overwrite_files,
          overwriteDatabase: body.overwrite_database,
          force: body.force,
          safetyBackup: body.safety_backup,
          confirmNoAdmin: body.confirm_no_admin,
        },
      };
      if (!(body.async || parseInput(restoreQuery, req.query).async)) {
        const report = await deps.start.run(input);
        res.json({ success: true, message: 'Restore completed', ...presentReport(report) });
        return;
      }
      const { runId } = await deps.start.start(input);
      res.status(202).json({ success: true, job_id: runId, status: 'running', message: 'Restore started' });
    });

    router.get('/restore/:id', aviaryOperation('restore_error'), async (req, res) => {
      res.json(presentRun(await deps.status.execute({ runId: String(req.params.id), adminUserId: currentUser(res).id })));
    });
  };
}
