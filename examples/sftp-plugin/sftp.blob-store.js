'use strict';
// @ts-check
const { randomBytes } = require('node:crypto');
const { posix } = require('node:path');
const { Readable } = require('node:stream');
const SftpClient = require('ssh2-sftp-client');
const {
  assertValidKey, assertValidPrefix, ConflictError, DomainError, InvalidInputError, NotFoundError, UnavailableError,
} = require('aviary-backup');

/** Where puts are written before the rename that publishes them; never a key (see `keyOf`). */
const TEMP_DIR = '.aviary-part';
const MAX_PAGE = 1000;
/**
 * Transfers keep several SFTP requests in flight instead of waiting for each answer: one request at
 * a time made a 100 MiB put take ~25 s on loopback. Bytes in flight stay bounded at PIECE × DEPTH.
 */
const WRITE_PIECE = 64 * 1024;
const READ_PIECE = 64 * 1024;
const DEPTH = 16;
/** SFTP status "no such file" (ssh2), or the text a wrapper made of it. */
const isMissing = (/** @type {any} */ e) => e?.code === 2 || e?.code === 'ENOENT' || /no such file/i.test(String(e?.message));

/**
 * @typedef {{ host: string, port: number, username: string, password?: string, privateKey?: string,
 *   hostKeySha256?: string, root: string }} SftpOptions
 * @typedef {import('aviary-backup').BlobInfo} BlobInfo
 */

/**
 * Objects as files under `root` on an SSH server: key K at `${root}/K`. A put is written to a
 * temporary file and published by POSIX rename (OpenSSH's posix-rename extension), so readers see
 * the old object or the whole new one; a move uses plain SFTP rename, which never replaces.
 * @implements {import('aviary-backup').BlobStore}
 */
class SftpBlobStore {
  kind = 'sftp';

  /** @param {SftpOptions} options */
  constructor(options) {
    this.options = options;
    this.root = options.root.replace(/\/+$/, '') || '/';
    /** @type {Promise<SftpClient> | undefined} */
    this.connection = undefined;
  }

  /** One SSH connection, opened on first use and again after it drops. */
  client() {
    this.connection ??= (async () => {
      const client = new SftpClient('aviary-backup');
      const { host, port, username, password, privateKey, hostKeySha256 } = this.options;
      try {
        await client.connect({
          host, port, username, password, privateKey, readyTimeout: 10_000,
          hostVerifier: hostKeySha256
            ? (/** @type {Buffer} */ key) => require('node:crypto').createHash('sha256').update(key).digest('base64').replace(/=+$/, '') === hostKeySha256.replace(/^SHA256:/, '').replace(/=+$/, '')
            : undefined,
        });
      } catch (error) {
        this.connection = undefined;
        throw this.unavailable(error);
      }
      // Every call of the client listens on the connection while it runs; puts run side by side.
      /** @type {any} */ (client).client?.setMaxListeners(0);
      client.on('close', () => { this.connection = undefined; });
      client.on('error', () => { this.connection = undefined; });
      return client;
    })();
    return this.connection;
  }

  async ping() {
    const sftp = await this.client();
    const type = await sftp.exists(this.root).catch((error) => { throw this.unavailable(error); });
    if (type !== 'd') throw new UnavailableError('storage_unavailable', `SFTP root ${this.root} on ${this.where()} is not a directory. Check SFTP_ROOT.`);
  }

  /**
   * @param {string} key
   * @param {AsyncIterable<Uint8Array>} body
   * @param {import('aviary-backup').PutOptions} [options]
   * @returns {Promise<BlobInfo>}
   */
  async put(key, body, options = {}) {
    assertValidKey(key);
    const { signal } = options;
    if (signal?.aborted) throw aborted(signal);
    const sftp = await this.client();
    const temp = `${this.root}/${TEMP_DIR}/${randomBytes(12).toString('hex')}.part`;
    /** @type {Buffer | undefined} */
    let handle;
    try {
      await this.mkdirs(`${this.root}/${TEMP_DIR}`);
      handle = await call(sftp.sftp, 'open', temp, 'w', { mode: 0o600 });
      const out = new PipelinedWriter(sftp.sftp, handle);
      // Pieces of WRITE_PIECE bytes whatever the body's chunking; the tail of a chunk waits for the next.
      let carry = Buffer.alloc(0);
      for await (const chunk of body) {
        if (signal?.aborted) throw aborted(signal);
        let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (carry.length > 0) data = Buffer.concat([carry, data]);
        let at = 0;
        for (; data.length - at >= WRITE_PIECE; at += WRITE_PIECE) await out.write(data.subarray(at, at + WRITE_PIECE));
        carry = Buffer.from(data.subarray(at)); // a copy: the body may reuse its chunk
      }
      if (carry.length > 0) await out.write(carry);
      await out.drain();
      if (signal?.aborted) throw aborted(signal);
      const h = handle;
      handle = undefined;
      await call(sftp.sftp, 'close', h);
      if (options.size !== undefined && out.position !== options.size) {
        throw new DomainError('integrity', 'blob_size_mismatch', `Body of ${JSON.stringify(key)} had ${out.position} bytes, ${options.size} were declared`);
      }
      await this.mkdirs(posix.dirname(this.pathOf(key)));
      await sftp.posixRename(temp, this.pathOf(key));
    } catch (error) {
      if (handle) await call(sftp.sftp, 'close', handle).catch(() => undefined);
      await sftp.delete(temp, true).catch(() => undefined);
      throw error instanceof DomainError || (error instanceof Error && error.name === 'AbortError') || !isSftpError(error)
        ? error
        : this.unavailable(error);
    }
    const info = await this.stat(key);
    if (!info) throw new UnavailableError('storage_unavailable', `${JSON.stringify(key)} vanished right after it was written on ${this.where()}`);
    return info;
  }

  /**
   * @param {string} key
   * @param {import('aviary-backup').GetOptions} [options]
   */
  async get(key, options = {}) {
    const info = await this.stat(key);
    if (!info) throw notFound(key);
    const range = checkRange(options, info.size);
    if (info.size === 0) return Readable.from([]);
    const sftp = await this.client();
    let handle;
    try {
      handle = await call(sftp.sftp, 'open', this.pathOf(key), 'r', {});
    } catch (error) {
      if (isMissing(error)) throw notFound(key);
      throw this.unavailable(error);
    }
    const start = range.start ?? 0;
    const end = range.end === undefined ? info.size : range.end + 1;
    const failure = (/** @type {unknown} */ error) =>
      error === undefined
        ? new UnavailableError('storage_unavailable', `${JSON.stringify(key)} on ${this.where()} ended before its ${info.size} bytes were read: it changed while being read`)
        : this.unavailable(error);
    return Readable.from(readPipelined(sftp.sftp, handle, start, end, failure), { objectMode: false });
  }

  /** @param {string} key */
  async stat(key) {
    assertValidKey(key);
    const sftp = await this.client();
    try {
      const s = await sftp.stat(this.pathOf(key));
      return s.isFile ? { key, size: s.size, modifiedAt: new Date(s.modifyTime) } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.unavailable(error);
    }
  }

  /**
   * Depth first, each folder's entries in UTF-8 byte order with a folder standing for "name/", which
   * is the byte order of the whole keys. Subtrees wholly at or before the cursor are not read.
   * @param {string} prefix
   * @param {import('aviary-backup').ListOptions} [options]
   */
  async listPage(prefix, options = {}) {
    assertValidPrefix(prefix);
    const limit = pageLimit(options.limit);
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor);
    const want = Buffer.from(prefix);
    /** @type {BlobInfo[]} */
    const items = [];
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    await this.walk(base, want, after, items, limit + 1);
    const more = items.length > limit;
    const page = items.slice(0, limit);
    return more ? { items: page, cursor: page[page.length - 1].key } : { items: page };
  }

  /**
   * @param {string} folder key prefix of the folder, '' or ending in '/'
   * @param {Buffer} prefix
   * @param {Buffer | undefined} after
   * @param {BlobInfo[]} out
   * @param {number} enough
   */
  async walk(folder, prefix, after, out, enough) {
    const sftp = await this.client();
    let entries;
    try {
      entries = await sftp.list(folder === '' ? this.root : `${this.root}/${folder.slice(0, -1)}`);
    } catch (error) {
      if (isMissing(error)) return;
      throw this.unavailable(error);
    }
    const sorted = entries
      .filter((e) => e.type === '-' || e.type === 'd')
      .filter((e) => !(folder === '' && e.name === TEMP_DIR))
      .map((e) => ({ entry: e, name: Buffer.from(folder + e.name + (e.type === 'd' ? '/' : '')) }))
      .sort((a, b) => Buffer.compare(a.name, b.name));
    for (const { entry, name } of sorted) {
      if (out.length >= enough) return;
      // Keep only names that can lead to a key under the prefix.
      const comparable = Math.min(name.length, prefix.length);
      if (!name.subarray(0, comparable).equals(prefix.subarray(0, comparable))) continue;
      if (entry.type === 'd') {
        if (after && Buffer.compare(name, after.subarray(0, name.length)) < 0) continue; // wholly before the cursor
        await this.walk(name.toString(), prefix, after, out, enough);
      } else if (name.length >= prefix.length && (!after || Buffer.compare(name, after) > 0)) {
        out.push({ key: name.toString(), size: entry.size, modifiedAt: new Date(entry.modifyTime) });
      }
    }
  }

  /** @param {string} key */
  async delete(key) {
    assertValidKey(key);
    const sftp = await this.client();
    try {
      await sftp.delete(this.pathOf(key), true);
    } catch (error) {
      if (!isMissing(error)) throw this.unavailable(error);
    }
  }

  /** @param {string} prefix */
  async deletePrefix(prefix) {
    assertValidPrefix(prefix);
    let count = 0;
    for (;;) {
      const { items } = await this.listPage(prefix, { limit: MAX_PAGE });
      // DEPTH removals in flight: one at a time, a thousand objects took a minute.
      for (let i = 0; i < items.length; i += DEPTH) await Promise.all(items.slice(i, i + DEPTH).map((item) => this.delete(item.key)));
      count += items.length;
      if (items.length < MAX_PAGE) return count;
    }
  }

  /**
   * @param {string} fromKey
   * @param {string} toKey
   */
  async move(fromKey, toKey) {
    assertValidKey(fromKey);
    assertValidKey(toKey);
    if (!(await this.stat(fromKey))) throw notFound(fromKey);
    if (await this.stat(toKey)) throw exists(toKey);
    const sftp = await this.client();
    await this.mkdirs(posix.dirname(this.pathOf(toKey)));
    try {
      await sftp.rename(this.pathOf(fromKey), this.pathOf(toKey)); // SFTP rename refuses an existing target
    } catch (error) {
      if (await this.stat(toKey)) throw exists(toKey);
      if (!(await this.stat(fromKey))) throw notFound(fromKey);
      throw this.unavailable(error);
    }
  }

  async close() {
    const pending = this.connection;
    this.connection = undefined;
    const client = await pending?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  /** @param {string} key */
  pathOf(key) {
    if (key === TEMP_DIR || key.startsWith(`${TEMP_DIR}/`)) {
      throw new InvalidInputError('invalid_storage_key', `Invalid storage key ${JSON.stringify(key)}: ${TEMP_DIR} is reserved`);
    }
    return `${this.root}/${key}`;
  }

  /** Creates `dir` and its missing parents below the root; concurrent puts may create the same ones. */
  async mkdirs(/** @type {string} */ dir) {
    const sftp = await this.client();
    if (dir === this.root || (await sftp.exists(dir)) === 'd') return;
    await this.mkdirs(posix.dirname(dir));
    await sftp.mkdir(dir, false).catch(async (error) => {
      if ((await sftp.exists(dir)) !== 'd') throw error; // made meanwhile by another put: fine
    });
  }

  where() {
    return `${this.options.username}@${this.options.host}:${this.options.port}`;
  }

  /** Connection and server errors: which server, what to check; no file contents, no secrets. */
  unavailable(/** @type {any} */ error) {
    const reason = typeof error?.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(error.code) ? error.code : error?.level ?? 'error';
    return new UnavailableError(
      'storage_unavailable',
      `Cannot use SFTP storage at ${this.where()}, root ${this.root} (${reason}). Check SFTP_HOST, SFTP_PORT, SFTP_USERNAME, the key or password, SFTP_ROOT and that the server is running.`,
    );
  }
}

/**
 * An ssh2 SFTP call as a promise.
 * @param {any} sftp
 * @param {string} method
 * @param {...unknown} args
 * @returns {Promise<any>}
 */
function call(sftp, method, ...args) {
  return new Promise((resolve, reject) => sftp[method](...args, (/** @type {Error | undefined} */ error, /** @type {unknown} */ value) => (error ? reject(error) : resolve(value))));
}

/** Writes at increasing offsets of an open handle with up to DEPTH writes unanswered. */
class PipelinedWriter {
  /** @param {any} sftp @param {Buffer} handle */
  constructor(sftp, handle) {
    this.sftp = sftp;
    this.handle = handle;
    this.position = 0;
    this.inFlight = 0;
    /** @type {Error | undefined} */
    this.error = undefined;
    /** @type {(() => void) | undefined} */
    this.wake = undefined;
  }

  /** Resolves once the piece is sent (not answered); rejects with the first failed write. */
  async write(/** @type {Buffer} */ piece) {
    while (this.inFlight >= DEPTH && !this.error) await new Promise((resolve) => (this.wake = resolve));
    if (this.error) throw this.error;
    const at = this.position;
    this.position += piece.length;
    this.inFlight++;
    // ssh2 copies the piece into its packet before returning, so the caller may reuse the buffer.
    this.sftp.write(this.handle, piece, 0, piece.length, at, (/** @type {Error | undefined} */ error) => {
      this.inFlight--;
      this.error ??= error;
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    });
  }

  /** Every write answered. */
  async drain() {
    while (this.inFlight > 0) await new Promise((resolve) => (this.wake = resolve));
    if (this.error) throw this.error;
  }
}

/**
 * Bytes [start, end) of an open handle, in order, with up to DEPTH reads outstanding; closes the handle
 * when done, failed or abandoned. A short answer is completed by reading the rest before going on.
 * @param {any} sftp @param {Buffer} handle @param {number} start @param {number} end
 * @param {(error?: unknown) => Error} failure what a failed read, or (with no error) a file ending before `end`, rejects with
 */
async function* readPipelined(sftp, handle, start, end, failure) {
  /** @type {{ at: number, length: number, reply: Promise<Buffer> }[]} */
  const queue = [];
  let next = start;
  const read = (/** @type {number} */ at, /** @type {number} */ length) =>
    new Promise((resolve, reject) =>
      sftp.read(handle, Buffer.allocUnsafe(length), 0, length, at, (/** @type {Error | undefined} */ error, /** @type {number} */ n, /** @type {Buffer} */ data) =>
        error ? reject(failure(error)) : resolve(data.subarray(0, n))));
  const issue = () => {
    const length = Math.min(READ_PIECE, end - next);
    const reply = read(next, length);
    reply.catch(() => undefined); // awaited below, or dropped when the reader stops early
    queue.push({ at: next, length, reply });
    next += length;
  };
  try {
    while (next < end && queue.length < DEPTH) issue();
    while (queue.length > 0) {
      const piece = /** @type {typeof queue[number]} */ (queue.shift());
      let data = await piece.reply;
      while (data.length < piece.length) {
        const rest = await read(piece.at + data.length, piece.length - data.length);
        if (rest.length === 0) throw failure();
        data = Buffer.concat([data, rest]);
      }
      if (next < end) issue();
      yield data;
    }
  } finally {
    await Promise.allSettled(queue.map((p) => p.reply));
    await call(sftp, 'close', handle).catch(() => undefined);
  }
}

/** The AbortError a put rejects with when its signal fires. @param {AbortSignal} signal */
function aborted(signal) {
  return Object.assign(new Error('The put was aborted'), { name: 'AbortError', cause: signal.reason });
}

/** @param {unknown} error */
function isSftpError(error) {
  return error instanceof Error && (typeof (/** @type {any} */ (error).code) !== 'undefined' || /sftp|ssh|connect/i.test(error.message));
}

/** @param {string} key */
function notFound(key) {
  return new NotFoundError('blob_not_found', `No stored object ${JSON.stringify(key)}`);
}

/** @param {string} key */
function exists(key) {
  return new ConflictError('blob_exists', `${JSON.stringify(key)} already exists; a move never replaces an object`);
}

/** @param {number | undefined} limit */
function pageLimit(limit) {
  if (limit === undefined || !Number.isFinite(limit)) return MAX_PAGE;
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit)));
}

/**
 * Inclusive range within an object of `size` bytes; a start past the end is refused, an end past it is clamped.
 * @param {import('aviary-backup').GetOptions} options
 * @param {number} size
 */
function checkRange(options, size) {
  const { start, end } = options;
  if (start === undefined && end === undefined) return {};
  const first = start ?? 0;
  const valid = Number.isSafeInteger(first) && first >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= first));
  if (!valid || first >= size) {
    throw new InvalidInputError('invalid_range', `Byte range ${first}-${end ?? ''} is not satisfiable for an object of ${size} bytes`);
  }
  return { start: first, end: end === undefined ? undefined : Math.min(end, size - 1) };
}

module.exports = { SftpBlobStore };
