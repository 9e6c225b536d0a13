import type {
  NewRestoreUpload, RestoreUpload, RestoreUploadChanges, RestoreUploadStatus, RestoreUploadStore,
} from '../../src/application/ports/restore-upload-store.port';

/** Uploads in a map; analyses pass through JSON, as the database adapter stores them. */
export class InMemoryRestoreUploadStore implements RestoreUploadStore {
  readonly rows = new Map<string, RestoreUpload>();
  /** Every progress value written, in order. */
  readonly progressWrites: number[] = [];

  async create(u: NewRestoreUpload): Promise<RestoreUpload> {
    const row: RestoreUpload = {
      ...u, fileSize: 0, status: 'receiving', analysis: null, progress: 0, message: null, error: null,
      analysisStartedAt: null, analysisCompletedAt: null, heartbeatAt: null, createdAt: new Date(),
    };
    this.rows.set(u.id, row);
    return row;
  }
  async get(id: string) {
    return this.rows.get(id) ?? null;
  }
  async listByAdmin(adminUserId: string) {
    return [...this.rows.values()].filter((r) => r.adminUserId === adminUserId && r.status !== 'receiving').reverse();
  }
  async update(id: string, changes: RestoreUploadChanges, onlyIfStatus?: readonly RestoreUploadStatus[]) {
    const row = this.rows.get(id);
    if (!row || (onlyIfStatus && !onlyIfStatus.includes(row.status))) return false;
    if (changes.progress !== undefined) this.progressWrites.push(changes.progress);
    const analysis = changes.analysis === undefined ? row.analysis : JSON.parse(JSON.stringify(changes.analysis));
    this.rows.set(id, { ...row, ...changes, analysis });
    return true;
  }
  async delete(id: string) {
    this.rows.delete(id);
  }
  async listExpired(now: Date) {
    return [...this.rows.values()].filter((r) => r.expiresAt < now);
  }
  async listStaleAnalyses(before: Date) {
    return [...this.rows.values()].filter((r) => r.status === 'analyzing' && (!r.heartbeatAt || r.heartbeatAt < before));
  }
  async existing(ids: readonly string[]) {
    return new Set(ids.filter((id) => this.rows.has(id)));
  }
}
