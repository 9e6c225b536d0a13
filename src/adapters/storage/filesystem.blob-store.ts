import { type Dirent } from 'node:fs';
import { access, constants, link, open, readdir, readFile, rename, rmdir, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { addAbortSignal } from 'node:stream';
import type {
  BlobInfo, BlobStore, ByteStream, GetOptions, ListOptions, ListPage, PutOptions,
} from '../../application/ports/blob-store.port';
import { ConflictError, DomainError, InvalidInputError, NotFoundError, UnavailableError } from '../../domain/errors';
import { assertValidKey, assertValidPrefix } from '../../domain/storage-key';
import type { ProcessRef } from '../../application/ports/lock-store.port';
import { isDeadLocalProcess } from '../system/process-liveness';
import { mkdirPrivate, mkdirPrivateSync, PRIVATE_FILE_MODE } from '../system/private-files';
import { OWNER, PART, TempOwner, writerOfPart } from './temp-owner';

/** Where puts are staged before the rename; on the same filesystem as every key, never listed. */
export const FILESYSTEM_TEMP_DIR = '.aviary-tmp';
const MAX_PAGE = 1000;
/** Temp files of versions that named the writer in the file name instead; removed once surely abandoned. */
const LEGACY_PART_AGE_MS = 24 * 3600_000;
/**
 * A put writes its body in batches of this many bytes, one writev each, while the next batch is
 * gathered: the producer (an archive being read, gunzipped and hashed, or one being made) goes on
 * while the thread pool writes. An archive being made comes in pieces of a few bytes to 64 KiB
 * (stored deflate blocks and their headers); written one by one they cost a thread-pool round
 * trip each, most of the main thread's time after hashing.
 */
const WRITE_BATCH = 2 * 1024 * 1024;
/** Reads of 1 MiB unless the caller asks otherwise: fewer thread-pool round trips than the default 64 KiB, for documents read whole. */
const READ_CHUNK = 1024 * 1024;

export interface FilesystemBlobStoreOptions {
  /** Absolute directory; key K lives at `${root}/K` (docs/archive-format.md). */
  readonly root: string;
}

/**
 * Key K at `${root}/K`. Writes go to a temp file then `rename`, so readers never see half a file.
 * Files are 0600 and folders this store creates 0700: stored objects include backups with password hashes.
 */
export class FilesystemBlobStore implements BlobStore {
  readonly kind = 'filesystem';
  readonly root: string;
  private readonly tempDir: string;
  private readonly owner: TempOwner;

  constructor(options: FilesystemBlobStoreOptions) {
    if (!isAbsolute(options.root)) throw new InvalidInputError('invalid_storage_root', `Storage root must be absolute: ${options.root}`);
    this.root = resolve(options.root);
    this.tempDir = join(this.root, FILESYSTEM_TEMP_DIR);
    this.owner = new TempOwner(this.tempDir);
    try {
      mkdirPrivateSync(this.root);
    } catch {
      // ping() reports it with a proper message.
    }
  }

  /** Removes temp files of writers that are certainly dead (killed mid-put); returns how many. */
  async sweepAbandonedTemp(): Promise<number> {
    let removed = 0;
    const names = new Set(await readdir(this.tempDir).catch(() => [] as string[]));
    for (const name of names) {
      if (name.endsWith(OWNER)) {
        const writer = name.slice(0, -OWNER.length);
        const owner = await this.readOwner(join(this.tempDir, name));
        if (!owner || !isDeadLocalProcess(owner)) continue;
        // The parts first: a sweep stopped half-way leaves the record to judge them next time.
        for (const part of names) {
          if (!part.endsWith(PART) || writerOfPart(part) !== writer) continue;
          removed++;
          await rm(join(this.tempDir, part), { force: true });
        }
        await rm(join(this.tempDir, name), { force: true });
      } else if (name.endsWith(PART) && !names.has(writerOfPart(name) + OWNER)) {
        const path = join(this.tempDir, name);
        const info = await stat(path).catch(() => null);
        if (info && Date.now() - info.mtimeMs > LEGACY_PART_AGE_MS) {
          await rm(path, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  private async readOwner(path: string): Promise<ProcessRef | null> {
    try {
      const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<ProcessRef>;
      if (typeof owner.host !== 'string' || typeof owner.pid !== 'number' || typeof owner.nonce !== 'string') return null;
      return { host: owner.host, pid: owner.pid, nonce: owner.nonce };
    } catch {
      return null; // unreadable, or being written: never judged
    }
  }

  async ping(): Promise<void> {
    try {
      await mkdirPrivate(this.root);
      if (!(await stat(this.root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await access(this.root, constants.W_OK);
    } catch (error) {
      throw new UnavailableError('storage_unavailable',
        `Filesystem storage at ${this.root} is not a writable directory (${codeOf(error) ?? String(error)}): check DATA_DIR and its permissions`);
    }
  }

  async put(key: string, body: ByteStream, options: PutOptions = {}): Promise<BlobInfo> {
    const target = this.pathOf(key);
    options.signal?.throwIfAborted();
    const temp = this.owner.nextPart();
    try {
      // The owner record lets a later start remove what a killed process left behind. It is whole
      // on disk before the body is touched (a record cut by a kill is never judged).
      await this.owner.acquire();
      // The body is read while the part is being opened: its first batch is gathered meanwhile.
      const opening = this.openPart(temp);
      opening.catch(() => undefined); // seen by writeBatched
      const written = await writeBatched(opening, body, options.signal)
        .finally(() => opening.then((handle) => handle.close(), () => undefined));
      if (options.size !== undefined && written !== options.size) {
        throw new DomainError('integrity', 'blob_size_mismatch',
          `Body of ${JSON.stringify(key)} had ${written} bytes, ${options.size} were declared`);
      }
      // No chmod: the file was created 0600, and a umask or a default ACL only ever narrows the mode given to open().
      await this.renameInto(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw this.translate(error, key, 'write');
    } finally {
      await this.owner.release();
    }
    return toInfo(key, await stat(target));
  }

  async get(key: string, options: GetOptions = {}): Promise<ByteStream> {
    const path = this.pathOf(key);
    const handle = await open(path, 'r').catch((error) => { throw this.translate(error, key); });
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw notFound(key);
      const { start, end } = checkRange(options, info.size);
      // With its end known the stream sizes each read buffer to what is left; without it, a last
      // read shorter than READ_CHUNK is copied into a right-sized buffer (most documents end so).
      // Stored files never change in place (puts rename a finished file over them).
      const last = end ?? (info.size > 0 ? info.size - 1 : undefined);
      const stream = handle.createReadStream({ start, end: last, autoClose: true, highWaterMark: readSize(options) });
      return options.signal ? addAbortSignal(options.signal, stream) : stream;
    } catch (error) {
      await handle.close();
      throw this.translate(error, key);
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      return info.isFile() ? toInfo(key, info) : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.translate(error, key);
    }
  }

  async listPage(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    assertValidPrefix(prefix);
    const limit = pageLimit(options.limit);
    const items: BlobInfo[] = [];
    let more = false;
    for await (const entry of this.walk(prefix, options.cursor)) {
      if (items.length === limit) {
        more = true;
        break;
      }
      const info = await stat(entry.path).catch(() => null); // deleted meanwhile: not listed
      if (info?.isFile()) items.push(toInfo(entry.key, info));
    }
    return more ? { items, cursor: items[items.length - 1].key } : { items };
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error) || codeOf(error) === 'EISDIR') return; // a directory is not an object
      throw this.translate(error, key);
    }
    await this.pruneUpwards(dirname(path));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const { dir, namePrefix, keyBase } = this.splitPrefix(prefix);
    const count = await this.removeTree(dir, keyBase, namePrefix);
    // The prefix's own directory goes too when the prefix names it entirely; nothing above it.
    if (namePrefix === '' && dir !== this.root) await rmdir(dir).catch(() => undefined);
    return count;
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    const info = await stat(from).catch((error) => { throw this.translate(error, fromKey); });
    if (!info.isFile()) throw notFound(fromKey);
    if (from === to) return;
    // A hard link fails when the name is taken, so an existing object is never replaced; then the old name goes.
    // Killed in between, both names hold the same bytes: a copy made, its source not yet deleted.
    await this.linkInto(from, to).catch(async (error) => {
      if (codeOf(error) === 'EEXIST' && (await stat(to).then((s) => s.isFile(), () => false))) throw exists(toKey);
      throw this.translate(error, toKey, 'write');
    });
    await unlink(from).catch((error) => {
      if (!isMissing(error)) throw this.translate(error, fromKey, 'write');
    });
    await this.pruneUpwards(dirname(from));
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key === FILESYSTEM_TEMP_DIR || key.startsWith(`${FILESYSTEM_TEMP_DIR}/`)) {
      throw new InvalidInputError('invalid_storage_key', `Invalid storage key ${JSON.stringify(key)}: ${FILESYSTEM_TEMP_DIR} is reserved`);
    }
    return join(this.root, ...key.split('/'));
  }

  /**
   * A new part (0600). A temp folder found missing (removed by hand since the owner record was
   * written) is made again with the record in it before the part.
   */
  private async openPart(temp: string): Promise<FileHandle> {
    try {
      return await open(temp, 'wx', PRIVATE_FILE_MODE);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw error;
    }
    await this.owner.rewrite();
    return open(temp, 'wx', PRIVATE_FILE_MODE);
  }

  /**
   * rename() with parent creation when the parent is missing (most renames land in an existing
   * folder, so they cost one call); retried when a concurrent delete pruned the fresh parent.
   */
  private async renameInto(from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await mkdirPrivate(dirname(to));
      try {
        return await rename(from, to);
      } catch (error) {
        if (codeOf(error) !== 'ENOENT' || attempt === 4) throw error;
      }
    }
  }

  /** link() with parent creation (as renameInto); where links are unsupported, a checked rename. */
  private async linkInto(from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await mkdirPrivate(dirname(to));
      try {
        return await link(from, to);
      } catch (error) {
        const code = codeOf(error);
        if (code && ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes(code)) {
          if (await stat(to).then(() => true, () => false)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
          return await rename(from, to); // the caller's unlink then finds nothing left to remove
        }
        if (code !== 'ENOENT' || attempt === 4) throw error;
      }
    }
  }

  /** Removes now-empty directories from `dir` up to, never including, the root. */
  private async pruneUpwards(dir: string): Promise<void> {
    for (let current = dir; current !== this.root && current.startsWith(this.root); current = dirname(current)) {
      try {
        await rmdir(current); // only succeeds when empty
      } catch {
        return;
      }
    }
  }

  /** The directory a prefix lives in, the name filter inside it, and the key text of that directory. */
  private splitPrefix(prefix: string): { dir: string; namePrefix: string; keyBase: string } {
    const cut = prefix.lastIndexOf('/');
    const keyBase = prefix.slice(0, cut + 1);
    const dir = keyBase === '' ? this.root : join(this.root, ...keyBase.slice(0, -1).split('/'));
    return { dir, namePrefix: prefix.slice(cut + 1), keyBase };
  }

  /** Files under `prefix` with key > `cursor`, in ascending UTF-8 byte order of their keys. */
  private async *walk(prefix: string, cursor?: string): AsyncGenerator<{ key: string; path: string }> {
    const { dir, namePrefix, keyBase } = this.splitPrefix(prefix);
    yield* this.walkDir(dir, keyBase, namePrefix, cursor === undefined ? undefined : Buffer.from(cursor));
  }

  private async *walkDir(dir: string, keyBase: string, namePrefix: string, after?: Buffer): AsyncGenerator<{ key: string; path: string }> {
    for (const { entry, sortKey } of await this.sortedEntries(dir, keyBase, namePrefix)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        // Every key inside starts with sortKey ("name/"): skip the subtree when all of it is <= cursor.
        if (after && Buffer.compare(sortKey, after) < 0 && !startsWith(after, sortKey)) continue;
        yield* this.walkDir(path, sortKey.toString(), '', after);
      } else if (entry.isFile() && (!after || Buffer.compare(sortKey, after) > 0)) {
        yield { key: sortKey.toString(), path };
      }
    }
  }

  /**
   * One directory's entries sorted as S3 sorts keys: a directory "a" sorts as "a/", so "a b" < "a/x" < "a.b" is
   * wrong and "a b" < "a.b" < "a/x" is right. Symlinks and other special files are not objects.
   */
  private async sortedEntries(dir: string, keyBase: string, namePrefix: string) {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw this.translate(error, keyBase);
    }
    return entries
      .filter((e) => e.name.startsWith(namePrefix) && !(dir === this.root && e.name === FILESYSTEM_TEMP_DIR))
      .filter((e) => e.isFile() || e.isDirectory())
      .map((entry) => ({ entry, sortKey: Buffer.from(keyBase + entry.name + (entry.isDirectory() ? '/' : '')) }))
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  }

  /** Deletes matching files depth-first, removing directories it emptied; returns the file count. */
  private async removeTree(dir: string, keyBase: string, namePrefix: string): Promise<number> {
    let count = 0;
    for (const { entry, sortKey } of await this.sortedEntries(dir, keyBase, namePrefix)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        count += await this.removeTree(path, sortKey.toString(), '');
        await rmdir(path).catch(() => undefined); // not empty: something else lives there
      } else {
        await unlink(path).then(() => count++, (error) => {
          if (!isMissing(error)) throw this.translate(error, sortKey.toString());
        });
      }
    }
    return count;
  }

  /** Driver errors → domain errors. Writes never report "not found": a missing path there is the body's own error. */
  private translate(error: unknown, key: string, op: 'read' | 'write' = 'read'): unknown {
    const code = codeOf(error);
    if (op === 'read' && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')) return notFound(key);
    if (op === 'write' && (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST' || code === 'ENOTEMPTY')) {
      return new ConflictError('blob_path_conflict',
        `Cannot store ${JSON.stringify(key)}: a folder and an object would share one name on the filesystem backend`);
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new UnavailableError('storage_full',
        `The disk holding DATA_DIR (${this.root}) is full (${code}) while writing ${JSON.stringify(key)}: ` +
        'free space on it (old backups under backups/ can be deleted) or move DATA_DIR to a larger disk, then try again');
    }
    if (code && ['EACCES', 'EPERM', 'EROFS', 'EIO'].includes(code)) {
      return new UnavailableError('storage_unavailable',
        `Filesystem storage at ${this.root} failed on ${JSON.stringify(key)} (${code}): check DATA_DIR, its permissions and free space`);
    }
    return error;
  }
}

/**
 * Writes the whole body at the position of the handle `opening` resolves to, batched (WRITE_BATCH);
 * returns the byte count. The body is read before the handle is there: the first batch waits for it.
 */
async function writeBatched(opening: Promise<FileHandle>, body: ByteStream, signal?: AbortSignal): Promise<number> {
  const source = body[Symbol.asyncIterator]();
  let batch: Uint8Array[] = [];
  let batched = 0;
  let total = 0;
  let writing: Promise<void> = Promise.resolve();
  let openFailed = false;
  opening.catch(() => (openFailed = true));
  const flush = async () => {
    await writing; // one write at a time, in order
    const buffers = batch;
    writing = opening.then((handle) => writeAll(handle, buffers));
    writing.catch(() => undefined); // seen by the next await of it
    batch = [];
    batched = 0;
  };
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (openFailed) await opening; // its error, without reading on
      const next = signal ? await nextUnlessAborted(source, signal) : await source.next();
      if (next.done) break;
      const chunk = next.value;
      if (chunk.byteLength === 0) continue;
      batch.push(chunk);
      batched += chunk.byteLength;
      total += chunk.byteLength;
      if (batched >= WRITE_BATCH) await flush();
    }
    if (batched > 0) await flush();
    await writing;
    await opening; // an empty body too makes its file
    return total;
  } catch (error) {
    await writing.catch(() => undefined);
    void Promise.resolve(source.return?.()).catch(() => undefined);
    throw error;
  }
}

/** writev until every byte is on disk (libuv stops short when an error follows a partial write). */
async function writeAll(handle: FileHandle, buffers: Uint8Array[]): Promise<void> {
  let left = buffers;
  while (left.length > 0) {
    const { bytesWritten } = await handle.writev(left);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    left = afterBytes(left, bytesWritten);
  }
}

function afterBytes(buffers: Uint8Array[], n: number): Uint8Array[] {
  let skip = n;
  let i = 0;
  while (i < buffers.length && skip >= buffers[i].byteLength) skip -= buffers[i++].byteLength;
  const rest = buffers.slice(i);
  if (skip > 0) rest[0] = rest[0].subarray(skip);
  return rest;
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * The source's next chunk, or a rejection as soon as the signal aborts (a stalled source included),
 * as stream.pipeline does. One listener per call: a Promise.race against one long-lived abort
 * promise would keep every chunk reachable from it until the put ends.
 */
function nextUnlessAborted<T>(source: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    source.next().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toInfo(key: string, info: { size: number; mtime: Date }): BlobInfo {
  return { key, size: info.size, modifiedAt: info.mtime };
}

function exists(key: string): ConflictError {
  return new ConflictError('blob_exists', `${JSON.stringify(key)} already exists; a move never replaces an object`);
}

function notFound(key: string): NotFoundError {
  return new NotFoundError('blob_not_found', `No stored object ${JSON.stringify(key)}`);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isMissing(error: unknown): boolean {
  return codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR';
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return value.length >= prefix.length && value.subarray(0, prefix.length).equals(prefix);
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return MAX_PAGE;
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit)));
}

/** Inclusive range within an object of `size` bytes; a start past the end is refused, an end past it is clamped. */
function checkRange(options: GetOptions, size: number): { start?: number; end?: number } {
  const { start, end } = options;
  if (start === undefined && end === undefined) return {};
  const first = start ?? 0;
  const valid = Number.isSafeInteger(first) && first >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= first));
  if (!valid || first >= size) {
    throw new InvalidInputError('invalid_range', `Byte range ${first}-${end ?? ''} is not satisfiable for an object of ${size} bytes`);
  }
  return { start: first, end: end === undefined ? undefined : Math.min(end, size - 1) };
}

/** The caller's read size when it names a sensible one (1 KiB to 16 MiB), else the store's own. */
function readSize(options: GetOptions): number {
  const asked = options.readSize;
  return asked !== undefined && Number.isInteger(asked) && asked >= 1024 && asked <= 16 * 1024 * 1024 ? asked : READ_CHUNK;
}
