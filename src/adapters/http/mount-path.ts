import type { Request, RequestHandler } from 'express';

const KEY = 'aviaryBackupMountPath';

/** Records where the host mounted the service ("" at the root); the service router installs it first. */
export function recordMountPath(): RequestHandler {
  return (req, res, next) => {
    res.locals[KEY] = req.baseUrl;
    next();
  };
}

export function mountPathOf(req: Request): string {
  const value = req.res?.locals[KEY];
  return typeof value === 'string' ? value : '';
}
