import type { Router } from 'express';
import type { MigrationRunStore } from '../../application/ports/migration-run-store.port';
import {
  type MigrateSingleToMulti, SINGLE_TO_MULTI_KIND, type SingleToMultiPreview, type SingleToMultiReport,
} from '../../application/use-cases/migrate-single-to-multi.use-case';
import { currentUser } from './auth.middleware';
import type { AdminRouteContribution } from './create-router';

const PATH = '/migrations/single-to-multi';

/**
 * Admin endpoints of the single-user → multi-user migration (docs/single-to-multi.md): preview, run, past runs.
 * Bodies use snake_case like the rest of the API and name files only relative to the single-user folder.
 */
export function singleToMultiRoutes(migration: MigrateSingleToMulti, runs: MigrationRunStore): AdminRouteContribution {
  return (router: Router) => {
    router.get(PATH, async (_req, res) => {
      res.json(previewJson(await migration.preview()));
    });

    router.post(PATH, async (_req, res) => {
      const result = await migration.execute({ adminUserId: currentUser(res).id });
      res.json({
        run_id: result.runId,
        status: result.status,
        started_at: result.startedAt.toISOString(),
        completed_at: result.completedAt.toISOString(),
        ...reportJson(result.report),
      });
    });

    router.get(`${PATH}/runs`, async (_req, res) => {
      const list = await runs.list(SINGLE_TO_MULTI_KIND);
      res.json({
        runs: list.map((run) => ({
          id: run.id,
          status: run.status,
          admin_user_id: run.adminUserId,
          started_at: run.startedAt.toISOString(),
          completed_at: run.completedAt?.toISOString() ?? null,
          report: run.report ? reportJson(run.report as Partial<SingleToMultiReport>) : null,
        })),
      });
    });
  };
}

export function previewJson(p: SingleToMultiPreview) {
  return {
    pending: p.pending,
    target_user: p.targetUser,
    documents: {
      count: p.documentCount,
      total_bytes: p.totalBytes,
      files: p.documents.map((d) => ({ path: d.path, size: d.size, action: d.action, ...(d.reason ? { reason: d.reason } : {}) })),
    },
    pairing: { present: p.pairing.present, will_apply: p.pairing.willApply },
    api_key: p.apiKey,
    warnings: p.warnings,
  };
}

/** A run's report; an interrupted run only knows that it was interrupted, so every field is optional. */
export function reportJson(r: Partial<SingleToMultiReport>) {
  return {
    ...(r.targetUserId ? { target_user_id: r.targetUserId } : {}),
    ...(r.moved ? { moved: r.moved.map((m) => ({ from: m.from, to: m.to, size: m.size, ...(m.resumed ? { resumed: true } : {}) })) } : {}),
    ...(r.skipped ? { skipped: r.skipped } : {}),
    ...(r.failed ? { failed: r.failed } : {}),
    ...(r.pairing ? { pairing: r.pairing } : {}),
    ...(r.apiKey ? { api_key: r.apiKey } : {}),
    ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
    ...(r.warnings ? { warnings: r.warnings } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}
