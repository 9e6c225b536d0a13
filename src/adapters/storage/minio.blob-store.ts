import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { addAbortSignal } from 'node:stream';
import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import type {
  BlobInfo, BlobStore, ByteStream, GetOptions, ListOptions, ListPage, PutOptions,
} from '../../application/ports/blob-store.port';
import { ConflictError, DomainError, InvalidInputError, NotFoundError, UnavailableError, isDomainError } from '../../domain/errors';
import { assertValidKey, assertValidPrefix } from '../../domain/storage-key';

export interface MinioBlobStoreOptions {
  /** e.g. `http://127.0.0.1:9000`; absent means AWS (`https://s3.amazonaws.com`). */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (MinIO, s3rver). IP-literal and localhost endpoints always use them. */
  readonly forcePathStyle: boolean;
  /** Bytes buffered per upload request; at most this much of a body is held in memory. Default 16 MiB. */
  readonly partSize?: number;
  /** Connect + time-to-first-byte limit per request. Bodies themselves are not timed (readers may be slow). */
  readonly requestTimeoutMs?: number;
}

const MiB = 1024 * 1024;
const MAX_PAGE = 1000;
const MAX_PARTS = 10_000;
const MAX_SINGLE_COPY = 5 * 1024 * MiB; // S3 CopyObject limit; bigger objects need a multipart copy
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'ECONNABORTED', 'EPROTO', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Objects in one S3 bucket through the minio client. Puts stream in parts of `partSize`; nothing holds a whole object. */
export class MinioBlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly bucket: string;
  private readonly partSize: number;
  /** Shown in messages: scheme, host and port only (never credentials). */
  private readonly where: string;
  private readonly pathStyle: boolean;

  constructor(options: MinioBlobStoreOptions) {
    const url = new URL(options.endpoint ?? 'https://s3.amazonaws.com');
    const useSSL = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.where = `${url.protocol}//${url.host}`;
    this.bucket = options.bucket;
    this.partSize = Math.max(options.partSize ?? 16 * MiB, 5 * MiB); // S3's minimum part size
    this.pathStyle = options.forcePathStyle || isIP(host) !== 0 || host === 'localhost';
    this.agent = new (useSSL ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 32 });
    this.client = new Client({
      endPoint: host,
      port: url.port ? Number(url.port) : undefined,
      useSSL,
      region: options.region,
      accessKey: options.accessKeyId,
      secretKey: options.secretAccessKey,
      pathStyle: this.pathStyle,
      partSize: this.partSize,
      transport: timedTransport(useSSL ? https : http, options.requestTimeoutMs ?? 30_000),
      transportAgent: this.agent,
    });
  }

  async ping(): Promise<void> {
    const exists = await this.call(() => this.client.bucketExists(this.bucket), '');
    if (!exists) throw this.missingBucket();
  }

  async put(key: string, body: ByteStream, options: PutOptions = {}): Promise<BlobInfo> {
    assertValidKey(key);
    const { signal, size } = options;
    signal?.throwIfAborted();
    // S3 allows 10,000 parts: a known size may need bigger parts (16 MiB parts cover 156 GiB).
    const partSize = Math.max(this.partSize, Math.ceil((size ?? 0) / MAX_PARTS / MiB) * MiB);
    const parts = inParts(body, partSize, signal);
    const first = (await parts.next()).value ?? Buffer.alloc(0);
    let sent: number;
    if (first.length < partSize) {
      checkSize(key, first.length, size);
      await this.call(() => this.client.putObject(this.bucket, key, first, first.length), key);
      sent = first.length;
    } else {
      sent = await this.putMultipart(key, first, parts, size);
    }
    return this.statWritten(key, sent);
  }

  /**
   * The object just written, as storage reports it. Some S3-compatible servers answer a read right
   * after a write with the previous state for a moment: a few short retries wait for the object to
   * show the size that was sent; a size that never matches is an integrity error, not a success.
   */
  private async statWritten(key: string, sent: number): Promise<BlobInfo> {
    let info: BlobInfo | null = null;
    for (const pause of [0, 50, 150, 400, 1_000]) {
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      info = await this.stat(key);
      if (info?.size === sent) return info;
    }
    if (!info) throw new UnavailableError('storage_unavailable', `S3 at ${this.where} lost ${JSON.stringify(key)} right after writing it`);
    throw new DomainError('integrity', 'blob_size_mismatch',
      `S3 at ${this.where} holds ${info.size} bytes for ${JSON.stringify(key)} right after ${sent} were written`);
  }

  async get(key: string, options: GetOptions = {}): Promise<ByteStream> {
    assertValidKey(key);
    const { start, end, signal } = options;
    let stream;
    if (start === undefined && end === undefined) {
      stream = await this.call(() => this.client.getObject(this.bucket, key), key);
    } else {
      const first = start ?? 0;
      if (!Number.isSafeInteger(first) || first < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < first))) {
        throw new InvalidInputError('invalid_range', `Byte range ${first}-${end ?? ''} is not valid`);
      }
      const length = end === undefined ? undefined : end - first + 1;
      stream = await this.call(() => this.client.getPartialObject(this.bucket, key, first, length), key);
    }
    return signal ? addAbortSignal(signal, stream) : stream;
  }

  async stat(key: string): Promise<BlobInfo | null> {
    assertValidKey(key);
    try {
      const info = await this.call(() => this.client.statObject(this.bucket, key), key);
      return { key, size: info.size, modifiedAt: info.lastModified };
    } catch (error) {
      if (isDomainError(error, 'not_found')) return null;
      throw error;
    }
  }

  async listPage(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    assertValidPrefix(prefix);
    const limit = options.limit === undefined || !Number.isFinite(options.limit)
      ? MAX_PAGE : Math.min(MAX_PAGE, Math.max(1, Math.floor(options.limit)));
    // StartAfter = the last key of the previous page: the cursor is a plain key, the same on every backend.
    const result = await this.call(
      () => this.client.listObjectsV2Query(this.bucket, prefix, '', '', limit, options.cursor ?? ''), prefix);
    const items: BlobInfo[] = result.objects.flatMap((o) =>
      o.name === undefined ? [] : [{ key: o.name, size: Number(o.size), modifiedAt: o.lastModified }]);
    return result.isTruncated && items.length > 0 ? { items, cursor: items[items.length - 1].key } : { items };
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.call(() => this.client.removeObject(this.bucket, key), key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.listPage(prefix, { cursor, limit: MAX_PAGE });
      const names = page.items.map((item) => item.key);
      if (names.length === 0) break;
      const failures = await this.call(() => this.client.removeObjects(this.bucket, names), prefix);
      const failure = failures.map((f) => (f as { Error?: object })?.Error ?? f).find(Boolean) as { Code?: string; Key?: string } | undefined;
      if (failure) throw this.translate(Object.assign(new Error(`delete failed: ${failure.Code}`), { code: failure.Code }), failure.Key ?? prefix);
      count += names.length;
      cursor = page.cursor;
    } while (cursor);
    return count;
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    assertValidKey(fromKey);
    assertValidKey(toKey);
    const source = await this.stat(fromKey);
    if (!source) throw notFound(fromKey);
    if (fromKey === toKey) return;
    // S3 has no rename: checked, then copied, then the source deleted. A move never replaces an object.
    if (await this.stat(toKey)) throw new ConflictError('blob_exists', `${JSON.stringify(toKey)} already exists; a move never replaces an object`);
    await this.call(async () => {
      if (source.size <= MAX_SINGLE_COPY) {
        // The (bucket, key, "bucket/key") form escapes the copy source fully ("?", "#", "+" in names).
        await this.client.copyObject(this.bucket, toKey, `${this.bucket}/${fromKey}`);
      } else {
        await this.client.composeObject(
          new CopyDestinationOptions({ Bucket: this.bucket, Object: toKey }),
          [new CopySourceOptions({ Bucket: this.bucket, Object: fromKey })]);
      }
    }, fromKey);
    await this.call(() => this.client.removeObject(this.bucket, fromKey), fromKey);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /** Uploads `first` and the rest as parts; aborts the upload (best effort) on any failure, so nothing appears. */
  private async putMultipart(key: string, first: Buffer, rest: AsyncIterator<Buffer>, size?: number): Promise<number> {
    const uploadId = await this.call(() => this.client.initiateNewMultipartUpload(this.bucket, key, {}), key);
    try {
      const etags: { part: number; etag: string }[] = [];
      let total = 0;
      for (let part: Buffer | undefined = first; part; part = (await rest.next()).value) {
        if (part.length === 0) continue;
        const partNumber = etags.length + 1;
        const payload = part;
        const { etag } = await this.call(() => this.client.uploadPart(
          { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} }, payload), key);
        etags.push({ part: partNumber, etag });
        total += part.length;
      }
      checkSize(key, total, size);
      await this.call(() => this.client.completeMultipartUpload(this.bucket, key, uploadId, etags), key);
      return total;
    } catch (error) {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  private async call<T>(operation: () => Promise<T>, key: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  private translate(error: unknown, key: string): unknown {
    if (isDomainError(error)) return error;
    const { code, message } = (error ?? {}) as { code?: string; message?: string };
    if (code === 'NoSuchKey' || code === 'NotFound') return notFound(key);
    if (code === 'NoSuchBucket') return this.missingBucket();
    if (code === 'InvalidRange') {
      return new InvalidInputError('invalid_range', `Byte range not satisfiable for ${JSON.stringify(key)}`);
    }
    if (code && NETWORK_CODES.has(code)) {
      const hint = code === 'ENOTFOUND' && !this.pathStyle ? '; for MinIO-style servers set S3_FORCE_PATH_STYLE=true' : '';
      return new UnavailableError('storage_unavailable',
        `Cannot reach S3 endpoint ${this.where} (${code}): check S3_ENDPOINT and that the server is running and reachable${hint}`);
    }
    if (code && ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken'].includes(code)) {
      return new UnavailableError('storage_unavailable',
        `S3 endpoint ${this.where} refused access to bucket "${this.bucket}" (${code}): check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and S3_REGION`);
    }
    if (/Retryable HTTP status|retries|SlowDown|InternalError|ServiceUnavailable/.test(`${code} ${message}`)) {
      return new UnavailableError('storage_unavailable', `S3 endpoint ${this.where} is failing (${code ?? message}): try again later`);
    }
    return error;
  }

  private missingBucket(): UnavailableError {
    return new UnavailableError('storage_unavailable',
      `S3 bucket "${this.bucket}" does not exist at ${this.where}: create it, or set S3_BUCKET to an existing bucket`);
  }
}

function notFound(key: string): NotFoundError {
  return new NotFoundError('blob_not_found', `No stored object ${JSON.stringify(key)}`);
}

function checkSize(key: string, actual: number, declared: number | undefined): void {
  if (declared !== undefined && actual !== declared) {
    throw new DomainError('integrity', 'blob_size_mismatch', `Body of ${JSON.stringify(key)} had ${actual} bytes, ${declared} were declared`);
  }
}

/**
 * Regroups a byte stream into parts of exactly `size` bytes; the last one is shorter (possibly empty).
 * One buffer is reused for every part, so the consumer must be done with a part before it pulls the next
 * (uploads are sequential). It starts small and grows to `size`, so small objects stay cheap.
 * The body's own errors and an abort surface here, before anything is committed.
 */
async function* inParts(body: ByteStream, size: number, signal?: AbortSignal): AsyncGenerator<Buffer, void> {
  let part = Buffer.allocUnsafe(Math.min(size, 256 * 1024));
  let filled = 0;
  for await (const chunk of body) {
    signal?.throwIfAborted();
    for (let offset = 0; offset < chunk.length;) {
      if (filled === part.length) {
        const bigger = Buffer.allocUnsafe(Math.min(size, part.length * 2));
        part.copy(bigger, 0, 0, filled);
        part = bigger;
      }
      const n = Math.min(part.length - filled, chunk.length - offset);
      part.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield part;
        filled = 0;
      }
    }
  }
  signal?.throwIfAborted();
  yield part.subarray(0, filled);
}

/** minio sets no timeout: bound connect + response headers so a black-holed endpoint fails instead of hanging. */
function timedTransport(base: typeof http | typeof https, timeoutMs: number) {
  const request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
    const req = base.request(options, callback);
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('response', () => req.setTimeout(0));
    return req;
  };
  return { request } as unknown as typeof http;
}
