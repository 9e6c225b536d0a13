import type { Router } from 'express';
import type { RestoreRun, RestoreRunReport } from '../../application/ports/restore-run-store.port';
import type { GetRestoreStatus } from '../../application/use-cases/get-restore-status.use-case';
import type { StartRestore } from '../../application/use-cases/start-restore.use-case';
import { InvalidInputError } from '../../domain/errors';
import { currentUser } from './auth.middleware';
import { aviaryErrorType, aviaryOperation } from './aviary-error-types';
import type { AdminRouteContribution } from './create-router';
import { withoutServerPaths } from './server-paths';

export interface RestoreRouterDeps {
  readonly start: StartRestore;
  readonly status: GetRestoreStatus;
}

function flag(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new InvalidInputError('invalid_request', `${name} must be true or false`);
  return value;
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
      const body = (req.body ?? {}) as Record<string, unknown>;
      const uploadId = body.upload_id;
      if (typeof uploadId !== 'string') throw new InvalidInputError('invalid_upload_id', 'upload_id must be an upload id');
      const userIds = body.user_ids ?? [];
      if (!Array.isArray(userIds) || userIds.some((u) => typeof u !== 'string')) {
        throw new InvalidInputError('invalid_user_ids', 'user_ids must be a list of user ids');
      }
      const input = {
        uploadId,
        adminUserId: currentUser(res).id,
        options: {
          userIds: userIds as string[],
          overwriteFiles: flag(body, 'overwrite_files', true),
          overwriteDatabase: flag(body, 'overwrite_database', true),
          force: flag(body, 'force', false),
          safetyBackup: flag(body, 'safety_backup', true),
          confirmNoAdmin: flag(body, 'confirm_no_admin', false),
        },
      };
      if (!(flag(body, 'async', false) || req.query.async === 'true')) {
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
