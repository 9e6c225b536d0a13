import type { BlobStore } from '../src/application/ports/blob-store.port';
import type { RecordStore } from '../src/application/ports/record-store.port';
import type { PasswordHasher } from '../src/application/ports/system.port';
import type { AviaryTableName } from '../src/domain/schema/aviary-schema';
import type { Row } from '../src/domain/schema/column';
import { BcryptPasswordHasher } from '../src/adapters/auth/bcrypt.password-hasher';
import { documentBody } from './seed/content';
import { planDocuments, planUsers, PlannedDocument, PlannedUser } from './seed/plan';
import { Hashes, RowFactory } from './seed/rows';

export { seedApiKey, seedPassword } from './seed/plan';
export type { PlannedDocument, PlannedUser } from './seed/plan';

/**
 * Realistic Aviary data for tests and benchmarks, written through the service's own ports into
 * whatever database and storage are configured. Everything but bcrypt salts and times (relative
 * to `now`) is a function of `seed`: same seed, same users, ids, keys, paths, sizes and bytes.
 */
export interface SeedDeps {
  readonly records: RecordStore;
  readonly blobs: BlobStore;
  /** bcrypt at cost 4 unless given: seeded logins stay fast to verify. */
  readonly hasher?: PasswordHasher;
}

export interface SeedOptions {
  readonly users: number;
  readonly documents: number;
  /** Total bytes of all document files. */
  readonly bytes: number;
  readonly seed?: string | number;
  /** Rows in login_attempts; default 5 per user. */
  readonly loginAttempts?: number;
  /** Files written at once. */
  readonly concurrency?: number;
  readonly now?: Date;
  readonly onProgress?: (bytesWritten: number, bytesTotal: number) => void;
}

export interface SeedResult {
  readonly users: readonly PlannedUser[];
  readonly documents: readonly PlannedDocument[];
  readonly rows: Readonly<Record<AviaryTableName, number>>;
  readonly bytes: number;
  readonly elapsedMs: number;
}

export class SeedConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedConflictError';
  }
}

const BATCH = 500;

export async function seedData(deps: SeedDeps, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const seed = String(options.seed ?? 1);
  const existing = await existingUsers(deps.records);
  const users = planUsers(seed, options.users, !existing.hasAdmin);
  await refuseConflicts(deps, users, existing, seed);
  const documents = planDocuments(seed, users, options.documents, options.bytes);
  const hashes = await hashSecrets(users, deps.hasher ?? new BcryptPasswordHasher(4));

  try {
    await writeFiles(deps.blobs, documents, options.concurrency ?? 4, options.onProgress);
    const rows = await insertRows(deps.records, new RowFactory(seed, options.now ?? new Date()), users, documents, hashes,
      options.loginAttempts ?? users.length * 5);
    return { users, documents, rows, bytes: documents.reduce((s, d) => s + d.size, 0), elapsedMs: Date.now() - started };
  } catch (error) {
    // The prefixes were empty before (refuseConflicts): removing them restores the storage exactly.
    await Promise.allSettled(users.map((u) => deps.blobs.deletePrefix(`users/${u.id}/`)));
    throw error;
  }
}

async function existingUsers(records: RecordStore) {
  const names = new Set<string>();
  const ids = new Set<string>();
  let hasAdmin = false;
  await records.readSnapshot(async (reader) => {
    for await (const row of reader.stream('users')) {
      names.add(String(row.username));
      names.add(String(row.email));
      ids.add(String(row.id));
      hasAdmin ||= row.is_admin === true;
    }
  });
  return { names, ids, hasAdmin };
}

async function refuseConflicts(deps: SeedDeps, users: readonly PlannedUser[], existing: Awaited<ReturnType<typeof existingUsers>>, seed: string) {
  const clashes = users.filter((u) => existing.names.has(u.username) || existing.names.has(u.email) || existing.ids.has(u.id));
  if (clashes.length > 0) {
    const shown = clashes.slice(0, 5).map((u) => u.username).join(', ');
    throw new SeedConflictError(
      `This database already has ${clashes.length} of the users seed ${seed} generates (${shown}${clashes.length > 5 ? ', …' : ''}): ` +
        'it was seeded before. Nothing was written. Seed an empty database, or pass another --seed.');
  }
  for (const u of users) {
    const page = await deps.blobs.listPage(`users/${u.id}/`, { limit: 1 });
    if (page.items.length > 0) {
      throw new SeedConflictError(`Storage already holds files under users/${u.id}/ (user ${u.username} of seed ${seed}). Nothing was written.`);
    }
  }
}

async function hashSecrets(users: readonly PlannedUser[], hasher: PasswordHasher): Promise<Hashes> {
  const password = new Map<string, string>();
  const apiKey = new Map<string, string>();
  const jobs: (() => Promise<void>)[] = [];
  for (const u of users) {
    jobs.push(async () => void password.set(u.id, await hasher.hash(u.password)));
    for (const k of u.apiKeys) jobs.push(async () => void apiKey.set(k.id, await hasher.hash(k.key)));
  }
  await runPool(jobs, 4);
  return { password, apiKey };
}

async function writeFiles(blobs: BlobStore, documents: readonly PlannedDocument[], concurrency: number, onProgress?: SeedOptions['onProgress']) {
  const total = documents.reduce((s, d) => s + d.size, 0);
  let written = 0;
  await runPool(documents.map((d) => async () => {
    await blobs.put(d.key, documentBody(d.label, d.kind, d.size), { size: d.size });
    written += d.size;
    onProgress?.(written, total);
  }), concurrency);
}

async function insertRows(
  records: RecordStore, make: RowFactory, users: readonly PlannedUser[], documents: readonly PlannedDocument[], hashes: Hashes, attempts: number,
): Promise<Record<AviaryTableName, number>> {
  const counts: Record<AviaryTableName, number> = {
    users: 0, api_keys: 0, user_sessions: 0, user_folders_cache: 0, documents: 0, system_settings: 0, login_attempts: 0,
  };
  await records.writeTransaction(async (w) => {
    const put = async (table: AviaryTableName, rows: Row[]) => {
      for (let i = 0; i < rows.length; i += BATCH) await w.insert(table, rows.slice(i, i + BATCH));
      counts[table] += rows.length;
    };
    await put('users', users.map((u) => make.user(u, hashes)));
    await put('api_keys', users.flatMap((u) => make.apiKeys(u, hashes)));
    await put('user_sessions', users.flatMap((u) => make.sessions(u)));
    await put('user_folders_cache', users.flatMap((u) => make.folderCaches(u)));
    for (let i = 0; i < documents.length; i += BATCH) {
      await put('documents', documents.slice(i, i + BATCH).map((d, j) => make.document(d, i + j)));
    }
    await put('login_attempts', make.loginAttempts(users, attempts));
  });
  return counts;
}

/** Runs jobs `concurrency` at a time; after a failure starts no new job, waits for the running ones, then throws. */
async function runPool(jobs: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < jobs.length) {
      const job = jobs[next++];
      await job().catch((error) => {
        failure ??= { error };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  if (failure) throw failure.error;
}
