import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/knex';
import type { BackupJobStore, JobCompletion, JobProgress, NewBackupJob } from '../../application/ports/backup-job-store.port';
import type { BackupJob, BackupOptions, BackupPhase, BackupTrigger, JobStatus } from '../../domain/backup-job';
import type { Engine } from './engine';
import { guarded } from './driver-errors';

const TABLE = 'aviary_backup_jobs';

interface JobRow {
  id: string;
  admin_user_id: string | null;
  status: string;
  phase: string;
  trigger: string;
  progress: number;
  bytes_done: number | string;
  bytes_total: number | string;
  options: string;
  storage_key: string | null;
  filename: string | null;
  file_size: number | string | null;
  error_message: string | null;
  warnings: string;
  worker_id: string | null;
  heartbeat_at: number | string | null;
  started_at: number | string | null;
  completed_at: number | string | null;
  expires_at: number | string | null;
  verified_at: number | string | null;
  created_at: number | string;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));
const time = (v: number | string | null) => (v === null ? null : new Date(Number(v)));

function toJob(row: JobRow): BackupJob {
  return {
    id: row.id,
    adminUserId: row.admin_user_id,
    status: row.status as JobStatus,
    phase: row.phase as BackupPhase,
    trigger: row.trigger as BackupTrigger,
    progress: Number(row.progress),
    bytesDone: Number(row.bytes_done),
    bytesTotal: Number(row.bytes_total),
    options: JSON.parse(row.options) as BackupOptions,
    storageKey: row.storage_key,
    filename: row.filename,
    fileSize: num(row.file_size),
    errorMessage: row.error_message,
    warnings: JSON.parse(row.warnings) as string[],
    workerId: row.worker_id,
    heartbeatAt: time(row.heartbeat_at),
    startedAt: time(row.started_at),
    completedAt: time(row.completed_at),
    expiresAt: time(row.expires_at),
    verifiedAt: time(row.verified_at ?? null),
    createdAt: new Date(Number(row.created_at)),
  };
}

/** Backup jobs in `aviary_backup_jobs`; claims are single conditional UPDATEs, safe across processes. */
export class KnexBackupJobStore implements BackupJobStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async create(job: NewBackupJob): Promise<BackupJob> {
    const row = {
      id: randomUUID(),
      admin_user_id: job.adminUserId,
      status: 'pending',
      phase: 'queued',
      trigger: job.trigger,
      options: JSON.stringify(job.options),
      warnings: '[]',
      created_at: Date.now(),
    };
    await this.run(() => this.knex(TABLE).insert(row));
    return (await this.get(row.id))!;
  }

  async get(id: string): Promise<BackupJob | null> {
    const row = await this.run(() => this.knex<JobRow>(TABLE).where({ id }).first());
    return row ? toJob(row) : null;
  }

  async list(): Promise<BackupJob[]> {
    const rows = await this.run(() => this.knex<JobRow>(TABLE).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]));
    return rows.map(toJob);
  }

  async hasPending(): Promise<boolean> {
    // Served by ix_aviary_backup_jobs_status (status, created_at): no row is read beyond the first match.
    const row = await this.run(() => this.knex<JobRow>(TABLE).where({ status: 'pending' }).first('id'));
    return row !== undefined;
  }

  async claimNext(workerId: string): Promise<BackupJob | null> {
    // Pick a candidate, then claim it with a conditional UPDATE: if another worker won the race,
    // zero rows change and we try the next candidate.
    for (let attempt = 0; attempt < 5; attempt++) {
      const candidate = await this.run(() =>
        this.knex<JobRow>(TABLE).where({ status: 'pending' }).orderBy([{ column: 'created_at' }, { column: 'id' }]).first('id'),
      );
      if (!candidate) return null;
      const claimed = await this.claim(candidate.id, workerId);
      if (claimed) return claimed;
    }
    return null;
  }

  async claim(id: string, workerId: string): Promise<BackupJob | null> {
    const now = Date.now();
    const changed = await this.run(() =>
      this.knex(TABLE)
        .where({ id, status: 'pending' })
        .update({ status: 'running', phase: 'planning', worker_id: workerId, started_at: now, heartbeat_at: now }),
    );
    return changed === 1 ? this.get(id) : null;
  }

  async reportProgress(id: string, workerId: string, p: JobProgress): Promise<boolean> {
    const changed = await this.run(() =>
      this.knex(TABLE)
        .where({ id, worker_id: workerId, status: 'running' })
        .update({ phase: p.phase, progress: p.progress, bytes_done: p.bytesDone, bytes_total: p.bytesTotal, heartbeat_at: Date.now() }),
    );
    return changed === 1;
  }

  async complete(id: string, workerId: string, c: JobCompletion): Promise<boolean> {
    const taken = await this.run(() => this.knex<JobRow>(TABLE).where({ filename: c.filename }).whereNot({ id }).first('id'));
    if (taken) return false;
    try {
      const changed = await this.run(() =>
        this.knex(TABLE)
          .where({ id, worker_id: workerId, status: 'running' })
          .update({
            status: 'completed', phase: 'done', progress: 100,
            storage_key: c.storageKey, filename: c.filename, file_size: c.fileSize,
            warnings: JSON.stringify(c.warnings), completed_at: Date.now(),
            expires_at: c.expiresAt ? c.expiresAt.getTime() : null, heartbeat_at: Date.now(),
            verified_at: c.verifiedAt ? c.verifiedAt.getTime() : null,
          }),
      );
      return changed === 1;
    } catch (error) {
      // The unique index on filename decides races between workers finishing in the same second.
      if ((error as { code?: string }).code === 'duplicate_row') return false;
      throw error;
    }
  }

  async recordPlacement(id: string, workerId: string, storageKey: string): Promise<boolean> {
    const changed = await this.run(() =>
      this.knex(TABLE).where({ id, worker_id: workerId, status: 'running' }).update({ storage_key: storageKey, heartbeat_at: Date.now() }),
    );
    return changed === 1;
  }

  async fail(id: string, message: string, warnings: readonly string[] = []): Promise<void> {
    await this.run(() =>
      this.knex(TABLE)
        .where({ id })
        .whereIn('status', ['pending', 'running'])
        .update({ status: 'failed', error_message: message, warnings: JSON.stringify(warnings), completed_at: Date.now(), storage_key: null }),
    );
  }

  async markArchiveMissing(id: string, message: string): Promise<void> {
    await this.run(() => this.knex(TABLE).where({ id, status: 'completed' }).update({ status: 'failed', error_message: message }));
  }

  async listStale(heartbeatBefore: Date): Promise<BackupJob[]> {
    const rows = await this.run(() =>
      this.knex<JobRow>(TABLE).where({ status: 'running' }).andWhere('heartbeat_at', '<', heartbeatBefore.getTime()),
    );
    return rows.map(toJob);
  }

  async delete(id: string): Promise<void> {
    await this.run(() => this.knex(TABLE).where({ id }).delete());
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'backup jobs');
  }
}
