import type { Router } from 'express';
import type { RunCleanup } from '../../application/use-cases/run-cleanup.use-case';
import type { AdminRouteContribution } from './create-router';

/** README, HTTP API `POST /admin/cleanup`: what was removed, as Aviary's message plus counts. */
export function cleanupRoutes(cleanup: RunCleanup): AdminRouteContribution {
  return (router: Router) => {
    router.post('/cleanup', async (_req, res) => {
      const report = await cleanup.execute();
      res.json({
        success: true,
        message: report.message,
        removed: {
          expired_sessions: report.expiredSessions,
          expired_reset_tokens: report.expiredResetTokens,
          expired_uploads: report.expiredUploads,
          temp_files: report.tempFiles,
          old_login_attempts: report.oldLoginAttempts,
        },
        interrupted_analyses: report.interruptedAnalyses,
      });
    });
  };
}
