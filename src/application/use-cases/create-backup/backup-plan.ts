import { documentEntry, LEGACY_CONFIGS_DIR } from '../../../domain/archive/archive-format';
import { assertKnownTables, type BackupOptions } from '../../../domain/backup-job';
import { InvalidInputError } from '../../../domain/errors';
import { AVIARY_TABLES } from '../../../domain/schema/aviary-schema';
import type { TableDef } from '../../../domain/schema/column';
import { StorageKeys } from '../../../domain/storage-key';
import type { BlobStore } from '../../ports/blob-store.port';
import type { RecordReader, RowFilter } from '../../ports/record-store.port';
import { listAll } from '../blob-listing';

export interface BackupUser {
  readonly id: string;
  readonly username: string;
}

/** A stored file to archive: its storage key, its entry name and the size it had when planned. */
export interface FilePlan {
  readonly key: string;
  readonly name: string;
  readonly size: number;
}

/** Everything a backup decides before it reads a row: who, which tables with which filters, which files. */
export interface BackupPlan {
  readonly users: readonly BackupUser[];
  readonly tables: readonly TableDef[];
  readonly filters: ReadonlyMap<string, RowFilter>;
  /** Documents, then legacy pairing files. */
  readonly files: readonly FilePlan[];
  readonly documentCount: number;
  readonly documentBytes: number;
}

export async function planBackup(reader: RecordReader, blobs: BlobStore, options: BackupOptions): Promise<BackupPlan> {
  const users = await selectedUsers(reader, options.userIds);
  const tables = selectedTables(options.tables);
  const ids = users.map((u) => u.id);
  const documents = options.includeFiles ? await planDocuments(blobs, ids) : [];
  const configs = options.includeConfigs ? await planLegacyConfigs(blobs, ids) : [];
  return {
    users,
    tables,
    filters: filters(options.userIds.length > 0, users),
    files: [...documents, ...configs],
    documentCount: documents.length,
    documentBytes: documents.reduce((sum, d) => sum + d.size, 0),
  };
}

/** The selected users (all when none were asked for); unknown ids are the caller's error. */
async function selectedUsers(reader: RecordReader, userIds: readonly string[]): Promise<BackupUser[]> {
  const filter = userIds.length > 0 ? { column: 'id', in: userIds.map((id) => id.toLowerCase()) } : undefined;
  const found: BackupUser[] = [];
  for await (const row of reader.stream('users', filter)) found.push({ id: String(row.id), username: String(row.username) });
  if (filter) {
    const missing = filter.in.filter((id) => !found.some((u) => u.id === id));
    if (missing.length > 0) throw new InvalidInputError('invalid_user_ids', `Unknown user id(s): ${missing.join(', ')}`);
  }
  return found;
}

function selectedTables(names: readonly string[]): TableDef[] {
  if (names.length === 0) return [...AVIARY_TABLES];
  assertKnownTables(names);
  return AVIARY_TABLES.filter((t) => names.includes(t.name));
}

/** A selection keeps its users' rows in per-user tables, their login attempts and all settings. */
function filters(selective: boolean, users: readonly BackupUser[]): Map<string, RowFilter> {
  const filters = new Map<string, RowFilter>();
  if (!selective) return filters;
  const ids = users.map((u) => u.id);
  for (const table of AVIARY_TABLES) {
    if (table.userColumn) filters.set(table.name, { column: table.userColumn, in: ids });
  }
  filters.set('login_attempts', { column: 'username', in: users.map((u) => u.username) });
  return filters;
}

async function planDocuments(blobs: BlobStore, userIds: readonly string[]): Promise<FilePlan[]> {
  const plan: FilePlan[] = [];
  for (const userId of userIds) {
    const prefix = StorageKeys.userDocumentsPrefix(userId);
    for await (const blob of listAll(blobs, prefix)) {
      plan.push({ key: blob.key, name: documentEntry(userId, blob.key.slice(prefix.length)), size: blob.size });
    }
  }
  return plan;
}

/** Aviary < 1.6 pairing files, kept where they still exist. */
async function planLegacyConfigs(blobs: BlobStore, userIds: readonly string[]): Promise<FilePlan[]> {
  const plan: FilePlan[] = [];
  for (const userId of userIds) {
    const info = await blobs.stat(StorageKeys.legacyPairingFile(userId));
    if (info) plan.push({ key: info.key, name: `${LEGACY_CONFIGS_DIR}${userId}/rmapi.conf`, size: info.size });
  }
  return plan;
}
