import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Request, Router } from 'express';
import type { DeleteBackup } from '../../application/use-cases/delete-backup.use-case';
import type { QueueBackup } from '../../application/use-cases/queue-backup.use-case';
import { ARCHIVE_MISSING_MESSAGE, type GetBackupJobs } from '../../application/use-cases/get-backup-jobs.use-case';
import type { BlobStore } from '../../application/ports/blob-store.port';
import { ARCHIVE_CONTENT_TYPE } from '../../domain/archive/archive-format';
import type { BackupJob } from '../../domain/backup-job';
import { InvalidInputError, NotFoundError } from '../../domain/errors';
import { currentUser } from './auth.middleware';
import { presentBackupJob } from './backup-job.presenter';
import type { AdminRouteContribution } from './create-router';
import { aviaryOperation } from './aviary-error-types';
import { errorBody } from './error-mapper';
import { parseRange } from './range';
import { backupJobQuery, idParams, parseInput } from './request-schemas';

const BACKUP_JOB_CODES = { user_ids: 'invalid_user_ids', tables: 'invalid_tables' } as const;

export interface BackupRouterDeps {
  readonly queue: QueueBackup;
  readonly remove: DeleteBackup;
  /** Jobs as they really are (a vanished archive shows as a failed job). */
  readonly view: GetBackupJobs;
  readonly blobs: BlobStore;
  readonly status: () => Promise<unknown>;
}

const JOB_ID = { id: 'invalid_job_id' } as const;

async function findJob(jobs: GetBackupJobs, params: unknown): Promise<BackupJob> {
  const { id } = parseInput(idParams('Invalid job ID'), params, JOB_ID);
  const job = await jobs.get(id);
  if (!job) throw new NotFoundError('backup_job_not_found', 'Backup job not found');
  return job;
}

/** Aviary's backup endpoints (README, HTTP API). Backups belong to the installation: every admin sees them. */
export function backupRoutes(deps: BackupRouterDeps): AdminRouteContribution {
  return (router: Router) => {
    router.post('/backup-job', aviaryOperation('create_backup_job_failed'), async (req: Request, res) => {
      const query = parseInput(backupJobQuery, req.query, BACKUP_JOB_CODES);
      const job = await deps.queue.execute({
        adminUserId: currentUser(res).id,
        trigger: 'manual',
        request: {
          includeFiles: query.include_files,
          includeConfigs: query.include_configs,
          userIds: query.user_ids,
          tables: query.tables,
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
      res.json(presentBackupJob(await findJob(deps.view, req.params)));
    });

    router.get('/backup-job/:id/download', aviaryOperation('backup_download'), async (req, res) => {
      const job = await findJob(deps.view, req.params);
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
      res.setHeader('Content-Type', ARCHIVE_CONTENT_TYPE);
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
      const { id } = parseInput(idParams('Invalid job ID'), req.params, JOB_ID);
      await deps.remove.execute({ jobId: id });
      res.json({ success: true, message: 'Backup deleted' });
    });
  };
}
