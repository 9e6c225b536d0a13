import type { Router } from 'express';
import type { GetAdminStatus } from '../../application/use-cases/get-admin-status.use-case';
import type { AdminRouteContribution } from './create-router';

export function adminStatusRoutes(status: GetAdminStatus): AdminRouteContribution {
  return (router: Router) => {
    router.get('/status', async (_req, res) => {
      res.json(await status.execute());
    });
  };
}
