import type { Readable } from 'node:stream';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { ByteStream } from '../../application/ports/blob-store.port';
import { DomainError, InvalidInputError, isDomainError } from '../../domain/errors';
import { formatBytes } from '../../domain/byte-size';
import { YoungCollector } from '../young-generation';

/** Where a part's bytes go: a blob put (restore upload) or a one-pass analysis. */
export interface PartSink<T> {
  /**
   * Reads `body` (possibly not to its end) and resolves with what the route gets. When it rejects
   * it must leave nothing behind. `body` throws `file_too_large` once more than the cap arrived.
   */
  receive(body: ByteStream, part: { readonly displayName: string; readonly req: Request }): Promise<T>;
  /** Undoes a successful receive when the request fails afterwards. */
  discard?(result: T): Promise<void>;
}

/** What the route finds in `req.file`. */
export interface ReceivedPart<T> {
  readonly displayName: string;
  /** Bytes of the part as received. */
  readonly size: number;
  readonly result: T;
}

const ARCHIVE_NAME = /\.(tar\.gz|tgz)$/i;
const MAX_NAME_CHARS = 255;

/** 413 `file_too_large`, naming the limit and the variable that sets it. */
export function fileTooLarge(maxBytes: number): DomainError {
  return new DomainError(
    'too_large',
    'file_too_large',
    `The backup file is larger than the upload limit of ${formatBytes(maxBytes)} (${maxBytes} bytes); ` +
      'an operator can raise it with MAX_RESTORE_UPLOAD_BYTES',
    { max_bytes: maxBytes },
  );
}

/**
 * The client's file name reduced to something safe to show: last path segment only, no control
 * characters, at most 255 characters with the extension kept. Never used to build a path or key.
 */
export function displayFilename(original: string | undefined): string {
  const last = (original ?? '').split(/[\\/]/).pop() ?? '';
  const clean = last.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (clean.length <= MAX_NAME_CHARS) return clean;
  const ext = ARCHIVE_NAME.exec(clean)?.[0] ?? '';
  return clean.slice(0, MAX_NAME_CHARS - ext.length) + ext;
}

/** Counts a part's bytes as they pass and fails the read once the cap is exceeded. */
class ByteCap {
  received = 0;
  failure: Error | undefined;
  private readonly young = new YoungCollector({ reclaimOld: false });

  constructor(
    private readonly stream: Readable,
    private readonly maxBytes: number,
  ) {}

  /** The part's bytes; may be read again after an early stop (the stream is never destroyed here). */
  async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of this.stream.iterator({ destroyOnReturn: false })) {
        this.received += (chunk as Buffer).length;
        if (this.received > this.maxBytes) throw (this.failure = fileTooLarge(this.maxBytes));
        // The parts' buffers die young, outside V8's heap: collected as they go, not tens of MB later.
        this.young.passed((chunk as Buffer).length);
        yield chunk as Buffer;
      }
    } catch (error) {
      if (error === this.failure) throw error;
      // The request broke off or the multipart body is malformed.
      throw (this.failure = new InvalidInputError('upload_incomplete', `The upload did not complete: ${(error as Error).message}`));
    }
  }

  /** Reads what the sink left unread, still counting against the cap. */
  async drain(): Promise<void> {
    for await (const chunk of this.chunks()) void chunk;
  }
}

/**
 * A multer StorageEngine that streams the file part straight into a sink, through a byte cap:
 * nothing is buffered whole or written to a local temp file. Refuses names that are not
 * `.tar.gz`/`.tgz` (any case) before reading a byte.
 */
export class BlobUploadStorageEngine<T> implements StorageEngine {
  constructor(
    private readonly sink: PartSink<T>,
    private readonly maxBytes: number,
  ) {}

  private readonly inFlight = new WeakMap<Request, Promise<unknown>>();

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const handling = this.handle(req, file);
    this.inFlight.set(req, handling.catch(() => undefined));
    handling.then(
      (part) => callback(null, part as unknown as Partial<Express.Multer.File>),
      (error) => callback(fromEngine(error)),
    );
  }

  /**
   * Resolves once the request's part has been handled, cleanup included. multer answers a broken
   * multipart body without waiting for the engine; waiting here means no response goes out while
   * a half-received upload is still being removed.
   */
  async settled(req: Request): Promise<void> {
    await this.inFlight.get(req);
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const part = file as unknown as Partial<ReceivedPart<T>>;
    if (!this.sink.discard || part.result === undefined) return callback(null);
    this.sink.discard(part.result).then(() => callback(null), (error) => callback(error as Error));
  }

  private async handle(req: Request, file: Express.Multer.File): Promise<ReceivedPart<T>> {
    const displayName = displayFilename(file.originalname);
    if (!ARCHIVE_NAME.test(displayName)) {
      throw new InvalidInputError('invalid_file_type', `"${displayName}" is not a backup archive: expected a .tar.gz or .tgz file`);
    }
    const cap = new ByteCap(file.stream, this.maxBytes);
    let result: T;
    try {
      result = await this.sink.receive(cap.chunks(), { displayName, req });
    } catch (error) {
      throw cap.failure ?? error;
    }
    try {
      await cap.drain();
    } catch (error) {
      await this.sink.discard?.(result).catch(() => undefined);
      throw error;
    }
    return { displayName, size: cap.received, result };
  }
}

const engineErrors = new WeakSet<object>();

function fromEngine(error: unknown): unknown {
  if (error !== null && typeof error === 'object') engineErrors.add(error);
  return error;
}

/** True for errors raised while a part was handled (they already say what went wrong). */
export function isEngineError(error: unknown): boolean {
  return isDomainError(error) || (error !== null && typeof error === 'object' && engineErrors.has(error));
}
