import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackupJobStore } from '../../application/ports/backup-job-store.port';
import type { BackupJob, BackupTrigger, JobStatus } from '../../domain/backup-job';

export type RestoreOutcome = 'succeeded' | 'refused' | 'failed';

const TRIGGERS: readonly BackupTrigger[] = ['manual', 'scheduled', 'safety', 'cli'];
const STATUSES: readonly JobStatus[] = ['pending', 'running', 'completed', 'failed'];
const OUTCOMES: readonly RestoreOutcome[] = ['succeeded', 'refused', 'failed'];

/**
 * The service's Prometheus registry (its own, never prom-client's global one, so an embedding host's
 * metrics are untouched). Backup figures are read from the job table at each scrape, so they hold
 * for every replica and survive restarts; restore and upload counters count what this process did
 * since it started, as Prometheus counters do.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly restores: Counter<'outcome'>;
  private readonly restoreSeconds: Histogram<'outcome'>;
  private readonly lastRestore: Gauge<'outcome'>;
  private readonly uploadBytes: Counter;
  private readonly refreshBackups: () => Promise<void>;

  constructor(jobs: BackupJobStore) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const lastSuccess = new Gauge({ name: 'aviary_backup_last_success_timestamp_seconds', help: 'Completion time of the newest successful backup, by trigger (Unix seconds)', labelNames: ['trigger'], registers });
    const lastFailure = new Gauge({ name: 'aviary_backup_last_failure_timestamp_seconds', help: 'Time of the newest failed backup, by trigger (Unix seconds)', labelNames: ['trigger'], registers });
    const lastDuration = new Gauge({ name: 'aviary_backup_last_duration_seconds', help: 'Duration of the newest successful backup, by trigger', labelNames: ['trigger'], registers });
    const lastSize = new Gauge({ name: 'aviary_backup_last_size_bytes', help: 'Archive size of the newest successful backup, by trigger', labelNames: ['trigger'], registers });
    const jobCount = new Gauge({ name: 'aviary_backup_jobs', help: 'Backup jobs in the job table, by status (retention removes old ones)', labelNames: ['status'], registers });
    this.refreshBackups = async () => {
      const all = await jobs.list();
      for (const gauge of [jobCount, lastSuccess, lastFailure, lastDuration, lastSize]) gauge.reset();
      for (const status of STATUSES) jobCount.set({ status }, all.filter((j) => j.status === status).length);
      for (const trigger of TRIGGERS) {
        const completed = newest(all.filter((j) => j.trigger === trigger && j.status === 'completed'));
        if (completed?.completedAt) {
          lastSuccess.set({ trigger }, Math.floor(completed.completedAt.getTime() / 1000));
          const started = completed.startedAt ?? completed.createdAt;
          lastDuration.set({ trigger }, Math.max(0, (completed.completedAt.getTime() - started.getTime()) / 1000));
          lastSize.set({ trigger }, completed.fileSize ?? 0);
        }
        const failed = newest(all.filter((j) => j.trigger === trigger && j.status === 'failed'));
        if (failed) lastFailure.set({ trigger }, Math.floor((failed.completedAt ?? failed.createdAt).getTime() / 1000));
      }
    };
    this.restores = new Counter({ name: 'aviary_backup_restores_total', help: 'Restores finished by this process: succeeded, refused (nothing changed: invalid archive, options, lock) or failed (rolled back)', labelNames: ['outcome'], registers });
    this.restoreSeconds = new Histogram({ name: 'aviary_backup_restore_duration_seconds', help: 'Restore duration by outcome', labelNames: ['outcome'], buckets: [1, 5, 15, 60, 300, 900, 3600, 14400], registers });
    this.lastRestore = new Gauge({ name: 'aviary_backup_last_restore_timestamp_seconds', help: 'When this process last finished a restore, by outcome (Unix seconds)', labelNames: ['outcome'], registers });
    this.uploadBytes = new Counter({ name: 'aviary_backup_restore_upload_bytes_total', help: 'Bytes of restore uploads received by this process', registers });
    for (const outcome of OUTCOMES) this.restores.inc({ outcome }, 0);
  }

  readonly contentType = this.registry.contentType;

  /** The text a scrape gets: backup figures read from the job table first, then every metric. */
  async render(): Promise<string> {
    await this.refreshBackups();
    return this.registry.metrics();
  }

  restoreFinished(outcome: RestoreOutcome, seconds: number): void {
    this.restores.inc({ outcome });
    this.restoreSeconds.observe({ outcome }, seconds);
    this.lastRestore.set({ outcome }, Math.floor(Date.now() / 1000));
  }

  uploadReceived(bytes: number): void {
    this.uploadBytes.inc(bytes);
  }
}

function newest(jobs: readonly BackupJob[]): BackupJob | undefined {
  const time = (j: BackupJob) => (j.completedAt ?? j.createdAt).getTime();
  return jobs.reduce<BackupJob | undefined>((best, j) => (!best || time(j) > time(best) ? j : best), undefined);
}

/** A restore that failed before changing anything is "refused": the caller's input or state, not a fault. */
export function restoreOutcome(error: unknown): RestoreOutcome {
  const category = (error as { category?: string } | undefined)?.category;
  // Refused: nothing was attempted (bad request, invalid or too new an archive, lock held). Failed: it broke.
  return category === 'invalid' || category === 'integrity' || category === 'conflict' || category === 'not_found' ? 'refused' : 'failed';
}
