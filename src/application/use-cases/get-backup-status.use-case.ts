import type { BackupJob } from '../../domain/backup-job';
import type { BackupJobStore } from '../ports/backup-job-store.port';

export interface BackupStatusSettings {
  readonly schedule?: string;
  readonly retentionCount: number;
  readonly retentionDays?: number;
}

const brief = (job: BackupJob | undefined) =>
  job
    ? {
        job_id: job.id,
        filename: job.filename,
        file_size: job.fileSize,
        completed_at: job.completedAt?.toISOString() ?? null,
        trigger: job.trigger,
        error_message: job.status === 'failed' ? job.errorMessage : null,
      }
    : null;

/** What a monitoring check wants: last good backup, last failure, what runs next. */
export class GetBackupStatus {
  constructor(
    private readonly jobs: BackupJobStore,
    private readonly settings: BackupStatusSettings,
    private readonly nextRunAt: () => Date | undefined,
  ) {}

  async execute() {
    const jobs = await this.jobs.list();
    const byCompletion = (a: BackupJob, b: BackupJob) => (b.completedAt?.getTime() ?? 0) - (a.completedAt?.getTime() ?? 0);
    const lastSuccess = jobs.filter((j) => j.status === 'completed').sort(byCompletion)[0];
    const lastFailure = jobs.filter((j) => j.status === 'failed').sort(byCompletion)[0];
    const running = jobs.find((j) => j.status === 'running');
    return {
      last_success: brief(lastSuccess),
      last_failure: brief(lastFailure),
      running: running ? { job_id: running.id, progress: running.progress, phase: running.phase } : null,
      pending: jobs.filter((j) => j.status === 'pending').length,
      schedule: this.settings.schedule ?? null,
      next_scheduled_run: this.nextRunAt()?.toISOString() ?? null,
      retention: { count: this.settings.retentionCount, days: this.settings.retentionDays ?? null },
    };
  }
}
