import type { RestoreUpload } from '../../application/ports/restore-upload-store.port';
import type { PreparationStatus } from '../../application/use-cases/get-restore-upload-status.use-case';
import type { BackupAnalysis } from '../../application/use-cases/validate-archive.use-case';
import { withoutServerPaths } from './server-paths';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The few analysis facts a list shows; the whole analysis comes from analyze. */
function analysisSummary(a: BackupAnalysis | null) {
  if (!a) return null;
  return {
    valid: a.valid,
    aviary_version: a.aviary_version,
    export_timestamp: a.export_timestamp,
    user_count: a.user_count,
    api_key_count: a.api_key_count,
    document_count: a.document_count,
    total_size_bytes: a.total_size_bytes,
    error_count: a.errors.length,
    warning_count: a.warnings.length,
    analyzed_at: a.analyzed_at,
  };
}

/** Aviary's RestoreUpload JSON without its server file path, plus our analysis state. */
export function presentRestoreUpload(u: RestoreUpload) {
  return {
    id: u.id,
    admin_user_id: u.adminUserId,
    filename: u.filename,
    file_size: u.fileSize,
    status: u.status,
    expires_at: iso(u.expiresAt),
    created_at: iso(u.createdAt),
    progress: u.progress,
    error: withoutServerPaths(u.error),
    analysis: analysisSummary(u.analysis),
  };
}

export function presentPreparationStatus(s: PreparationStatus) {
  return {
    job_id: s.jobId,
    status: s.state,
    progress: s.progress,
    message: withoutServerPaths(s.message) ?? '',
    error: withoutServerPaths(s.error),
    started_at: iso(s.startedAt),
    completed_at: iso(s.completedAt),
    job_exists: s.jobExists,
  };
}
