import type { Knex } from '@mikro-orm/knex';
import type {
  NewRestoreUpload, RestoreUpload, RestoreUploadChanges, RestoreUploadStatus, RestoreUploadStore,
} from '../../application/ports/restore-upload-store.port';
import type { BackupAnalysis } from '../../domain/archive/backup-analysis';
import type { Engine } from './engine';
import { guarded } from './driver-errors';

const TABLE = 'aviary_restore_uploads';
/** What `location` says for bytes kept in the BlobStore (storage_ref is then the key). */
const IN_BLOB_STORE = 'blobs';

interface UploadRow {
  id: string;
  admin_user_id: string | null;
  filename: string;
  location: string;
  storage_ref: string;
  file_size: number | string;
  status: string;
  analysis: string | null;
  progress: number | string;
  status_message: string | null;
  error_message: string | null;
  analysis_started_at: number | string | null;
  analysis_completed_at: number | string | null;
  heartbeat_at: number | string | null;
  expires_at: number | string;
  created_at: number | string;
}

const time = (v: number | string | null) => (v === null ? null : new Date(Number(v)));
const ms = (d: Date | null) => (d === null ? null : d.getTime());

function parseAnalysis(text: string | null): BackupAnalysis | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as BackupAnalysis;
  } catch {
    return null; // never written by us; the upload reads as not analyzed rather than failing
  }
}

function toUpload(row: UploadRow): RestoreUpload {
  return {
    id: row.id,
    adminUserId: row.admin_user_id ?? '',
    filename: row.filename,
    storageKey: row.storage_ref,
    fileSize: Number(row.file_size),
    status: row.status as RestoreUploadStatus,
    analysis: parseAnalysis(row.analysis),
    progress: Number(row.progress),
    message: row.status_message,
    error: row.error_message,
    analysisStartedAt: time(row.analysis_started_at),
    analysisCompletedAt: time(row.analysis_completed_at),
    heartbeatAt: time(row.heartbeat_at),
    expiresAt: new Date(Number(row.expires_at)),
    createdAt: new Date(Number(row.created_at)),
  };
}

function toColumns(c: RestoreUploadChanges): Partial<UploadRow> {
  const out: Partial<UploadRow> = {};
  if (c.fileSize !== undefined) out.file_size = c.fileSize;
  if (c.status !== undefined) out.status = c.status;
  if (c.analysis !== undefined) out.analysis = c.analysis === null ? null : JSON.stringify(c.analysis);
  if (c.progress !== undefined) out.progress = c.progress;
  if (c.message !== undefined) out.status_message = c.message;
  if (c.error !== undefined) out.error_message = c.error;
  if (c.analysisStartedAt !== undefined) out.analysis_started_at = ms(c.analysisStartedAt);
  if (c.analysisCompletedAt !== undefined) out.analysis_completed_at = ms(c.analysisCompletedAt);
  if (c.heartbeatAt !== undefined) out.heartbeat_at = ms(c.heartbeatAt);
  if (c.expiresAt !== undefined) out.expires_at = c.expiresAt.getTime();
  return out;
}

/** Restore uploads in `aviary_restore_uploads` (migrations 0002, 0003); times are epoch milliseconds. */
export class KnexRestoreUploadStore implements RestoreUploadStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async create(upload: NewRestoreUpload): Promise<RestoreUpload> {
    const row = {
      id: upload.id,
      admin_user_id: upload.adminUserId,
      filename: upload.filename,
      location: IN_BLOB_STORE,
      storage_ref: upload.storageKey,
      file_size: 0,
      status: 'receiving',
      progress: 0,
      expires_at: upload.expiresAt.getTime(),
      created_at: Date.now(),
    };
    await this.run(() => this.knex(TABLE).insert(row));
    return (await this.get(row.id))!;
  }

  async get(id: string): Promise<RestoreUpload | null> {
    const row = await this.run(() => this.knex<UploadRow>(TABLE).where({ id }).first());
    return row ? toUpload(row) : null;
  }

  async listByAdmin(adminUserId: string): Promise<RestoreUpload[]> {
    const rows = await this.run(() =>
      this.knex<UploadRow>(TABLE)
        .where({ admin_user_id: adminUserId })
        .whereNot({ status: 'receiving' })
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]),
    );
    return rows.map(toUpload);
  }

  async update(id: string, changes: RestoreUploadChanges, onlyIfStatus?: readonly RestoreUploadStatus[]): Promise<boolean> {
    const columns = toColumns(changes);
    if (Object.keys(columns).length === 0) return (await this.get(id)) !== null;
    const changed = await this.run(() => {
      const query = this.knex(TABLE).where({ id });
      if (onlyIfStatus) query.whereIn('status', [...onlyIfStatus]);
      return query.update(columns);
    });
    return changed === 1;
  }

  async delete(id: string): Promise<void> {
    await this.run(() => this.knex(TABLE).where({ id }).delete());
  }

  async listExpired(now: Date): Promise<RestoreUpload[]> {
    const rows = await this.run(() => this.knex<UploadRow>(TABLE).where('expires_at', '<', now.getTime()).orderBy('expires_at'));
    return rows.map(toUpload);
  }

  async listStaleAnalyses(before: Date): Promise<RestoreUpload[]> {
    const rows = await this.run(() =>
      this.knex<UploadRow>(TABLE)
        .where({ status: 'analyzing' })
        .andWhere((q) => q.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', before.getTime())),
    );
    return rows.map(toUpload);
  }

  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const rows = await this.run(() => this.knex<UploadRow>(TABLE).whereIn('id', batch).select('id'));
      for (const row of rows) found.add(String(row.id));
    }
    return found;
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'restore uploads');
  }
}
