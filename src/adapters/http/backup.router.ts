import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Request, Router } from 'express';
import type { DeleteBackup } from '../../application/use-cases/delete-backup.use-case';
import type { QueueBackup } from '../../application/use-cases/queue-backup.use-case';
import { ARCHIVE_MISSING_MESSAGE, type GetBackupJobs } from '../../application/use-cases/get-backup-jobs.use-case';
import type { BlobStore } from '../../application/ports/blob-store.port';
import type { BackupJob } from '../../domain/backup-job';
import { InvalidInputError, NotFoundError } from '../../domain/errors';
import { isUuid } from '../../domain/schema/values';
import { currentUser } from './auth.middleware';
import { presentBackupJob } from './backup-job.presenter';
import type { AdminRouteContribution } from './create-router';
import { aviaryOperation } from './aviary-error-types';
import { errorBody } from './error-mapper';
import { parseRange } from './range';

export interface BackupRouterDeps {
  readonly queue: QueueBackup;
  readonly remove: DeleteBackup;
  /** Jobs as they really are (a vanished archive shows as a failed job). */
  readonly view: GetBackupJobs;
  readonly blobs: BlobStore;
  readonly status: () => Promise<unknown>;
}

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const text = String(value).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new InvalidInputError('invalid_request', `Expected true or false, got ${JSON.stringify(value)}`);
}

function csv(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

async function findJob(jobs: GetBackupJobs, id: string): Promise<BackupJob> {
  if (!isUuid(id)) throw new InvalidInputError('invalid_job_id', 'Invalid job ID');
  const job = await jobs.get(id.toLowerCase());
  if (!job) throw new NotFoundError('backup_job_not_found', 'Backup job not found');
  return job;
}

/** Aviary's backup endpoints (README, HTTP API). Backups belong to the installation: every admin sees them. */
export function backupRoutes(deps: BackupRouterDeps): AdminRouteContribution {
  return (router: Router) => {
    router.post('/backup-job', aviaryOperation('create_backup_job_failed'), async (req: Request, res) => {
      const job = await deps.queue.execute({
        adminUserId: currentUser(res).id,
        trigger: 'manual',
        request: {
          includeFiles: flag(req.query.include_files, true),
          includeConfigs: flag(req.query.include_configs, true),
          userIds: csv(req.query.user_ids),
          tables: csv(req.query.tables),
        },
      });
      res.json({ success: true, job_id: job.id, message: 'Backup job created' });
    });

    router.get('/backup-jobs', aviaryOperation('get_backup_jobs_failed'), async (_req, res) => {
      res.json({ jobs: (await deps.view.list()).map(presentBackupJob) });
    });

    router.get('/backup-status', aviaryOperation('get_backup_jobs_failed'), async (_req, res) => {
      res.json(await deps.status());
    });

    router.get('/backup-job/:id', aviaryOperation('get_backup_jobs_failed'), async (req, res) => {
      res.json(presentBackupJob(await findJob(deps.view, String(req.params.id))));
    });

    router.get('/backup-job/:id/download', aviaryOperation('backup_download'), async (req, res) => {
      const job = await findJob(deps.view, String(req.params.id));
      if (job.status === 'failed' && job.errorMessage === ARCHIVE_MISSING_MESSAGE) {
        throw new NotFoundError('archive_file_missing', ARCHIVE_MISSING_MESSAGE);
      }
      if (job.status !== 'completed' || !job.storageKey || !job.filename) {
        const why = job.status === 'failed' ? `this backup failed: ${job.errorMessage ?? 'no reason recorded'}` : `it is ${job.status}`;
        throw new InvalidInputError('backup_not_ready', `Backup is not ready for download (${why})`);
      }
      const info = await deps.blobs.stat(job.storageKey);
      if (!info) throw new NotFoundError('archive_file_missing', ARCHIVE_MISSING_MESSAGE);
      const range = parseRange(req.header('range'), info.size);
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Content-Type', 'application/gzip');
      res.setHeader('Content-Disposition', `attachment; filename="${job.filename.replace(/["\\]/g, '_')}"`);
      if (range === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${info.size}`);
        res.status(416).json(errorBody(res, 'invalid', 'range_not_satisfiable', 'Requested range not satisfiable'));
        return;
      }
      const { start, end } = range ?? { start: 0, end: info.size - 1 };
      res.status(range ? 206 : 200);
      if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${info.size}`);
      res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
      if (info.size === 0) {
        res.end();
        return;
      }
      const body = await deps.blobs.get(job.storageKey, { start, end });
      await pipeline(Readable.from(body), res);
    });

    router.delete('/backup-job/:id', aviaryOperation('delete_backup_job_failed'), async (req, res) => {
      await deps.remove.execute({ jobId: String(req.params.id) });
      res.json({ success: true, message: 'Backup deleted' });
    });
  };
}
