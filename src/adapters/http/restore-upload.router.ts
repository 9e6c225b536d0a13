import type { Router } from 'express';
import type { RestoreUpload, RestoreUploadStore } from '../../application/ports/restore-upload-store.port';
import type { AnalyzeRestoreUpload } from '../../application/use-cases/analyze-restore-upload.use-case';
import type { DeleteRestoreUpload } from '../../application/use-cases/delete-restore-upload.use-case';
import type { GetRestoreUploadStatus } from '../../application/use-cases/get-restore-upload-status.use-case';
import type { ReceiveRestoreUpload } from '../../application/use-cases/receive-restore-upload.use-case';
import type { BackupAnalysis, ValidateArchive } from '../../application/use-cases/validate-archive.use-case';
import { currentUser } from './auth.middleware';
import { aviaryOperation } from './aviary-error-types';
import type { PartSink } from './blob-upload.storage-engine';
import type { AdminRouteContribution } from './create-router';
import { multipartFile, receivedPart } from './multipart-file';
import { presentPreparationStatus, presentRestoreUpload } from './restore-upload.presenter';

export interface RestoreUploadRouterDeps {
  readonly maxUploadBytes: number;
  readonly uploads: RestoreUploadStore;
  readonly receive: ReceiveRestoreUpload;
  readonly analyze: AnalyzeRestoreUpload;
  readonly status: GetRestoreUploadStatus;
  readonly remove: DeleteRestoreUpload;
  /** Analyzes an archive as it arrives, keeping nothing (`POST /backup/analyze`). */
  readonly validate: ValidateArchive;
}

/** Aviary's restore-upload endpoints (README, HTTP API). Uploads are private to the admin who made them. */
export function restoreUploadRoutes(deps: RestoreUploadRouterDeps): AdminRouteContribution {
  const store: PartSink<RestoreUpload> = {
    receive: (body, part) => deps.receive.execute({ adminUserId: currentUser(part.req.res!).id, filename: part.displayName, body }),
    discard: (upload) => deps.receive.discard(upload),
  };
  const analyzeOnly: PartSink<BackupAnalysis> = {
    receive: (body) => deps.validate.execute({ source: body }),
  };
  const ids = (req: { params: Record<string, unknown> }, res: { locals: Record<string, unknown> }) => ({
    uploadId: String(req.params.id),
    adminUserId: currentUser(res).id,
  });

  return (router: Router) => {
    router.post('/restore/upload', aviaryOperation('save_uploaded_file_failed'), ...multipartFile(store, deps.maxUploadBytes), (req, res) => {
      const upload = receivedPart<RestoreUpload>(req).result;
      res.json({
        upload_id: upload.id,
        filename: upload.filename,
        status: 'uploaded',
        file_size: upload.fileSize,
        expires_at: upload.expiresAt.toISOString(),
        message: 'Backup file uploaded; analyze it before restoring',
      });
    });

    router.get('/restore/uploads', aviaryOperation('restore_error'), async (_req, res) => {
      const uploads = await deps.uploads.listByAdmin(currentUser(res).id);
      res.json({ uploads: uploads.map(presentRestoreUpload) });
    });

    router.post('/restore/uploads/:id/analyze', aviaryOperation('backup_analyze'), async (req, res) => {
      const input = ids(req, res);
      const analysis = await deps.analyze.execute(input);
      res.json({ valid: analysis.valid, metadata: analysis, extraction_job_id: input.uploadId.toLowerCase() });
    });

    router.get('/restore/uploads/:id/extraction-status', aviaryOperation('restore_error'), async (req, res) => {
      res.json(presentPreparationStatus(await deps.status.execute(ids(req, res))));
    });

    router.delete('/restore/uploads/:id', aviaryOperation('restore_delete_failed'), async (req, res) => {
      await deps.remove.execute(ids(req, res));
      res.json({ success: true });
    });

    router.post('/backup/analyze', aviaryOperation('backup_analyze_failed'), ...multipartFile(analyzeOnly, deps.maxUploadBytes), (req, res) => {
      const analysis = receivedPart<BackupAnalysis>(req).result;
      res.json({ valid: analysis.valid, metadata: analysis });
    });
  };
}
