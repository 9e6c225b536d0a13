import type { BackupJob } from '../../domain/backup-job';
import { withoutServerPaths } from './server-paths';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Aviary's BackupJob JSON, plus our phase, byte counts, trigger and warnings. */
export function presentBackupJob(job: BackupJob) {
  return {
    id: job.id,
    admin_user_id: job.adminUserId,
    status: job.status,
    progress: job.progress,
    include_files: job.options.includeFiles,
    include_configs: job.options.includeConfigs,
    user_ids: job.options.userIds.join(','),
    file_path: job.storageKey ?? '',
    filename: job.filename ?? '',
    file_size: job.fileSize ?? 0,
    error_message: withoutServerPaths(job.errorMessage) ?? '',
    started_at: iso(job.startedAt),
    completed_at: iso(job.completedAt),
    expires_at: iso(job.expiresAt),
    created_at: iso(job.createdAt),
    phase: job.phase,
    bytes_done: job.bytesDone,
    bytes_total: job.bytesTotal,
    trigger: job.trigger,
    tables: job.options.tables,
    warnings: job.warnings.map((w) => withoutServerPaths(w)),
    verified: job.verifiedAt !== null,
    verified_at: iso(job.verifiedAt),
  };
}
