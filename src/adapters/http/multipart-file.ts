import type { Request, RequestHandler } from 'express';
import multer, { MulterError } from 'multer';
import { InvalidInputError } from '../../domain/errors';
import { BlobUploadStorageEngine, fileTooLarge, isEngineError, type PartSink, type ReceivedPart } from './blob-upload.storage-engine';

/** Room for the multipart envelope (boundaries, part headers, small fields) around the file itself. */
const ENVELOPE_BYTES = 64 * 1024;
export const BACKUP_FILE_FIELD = 'backup_file';

/**
 * Receives the `backup_file` part of a multipart request into `sink`, capped at `maxBytes`.
 * A Content-Length that cannot fit is refused before any byte is read; a body without one is
 * cut off by the byte cap. Either way: 413 `file_too_large`, and nothing is left behind.
 */
export function multipartFile<T>(sink: PartSink<T>, maxBytes: number): RequestHandler[] {
  const engine = new BlobUploadStorageEngine(sink, maxBytes);
  const receive = multer({
    storage: engine,
    limits: { files: 1, fields: 20, parts: 25, fieldSize: 64 * 1024, headerPairs: 100 },
    defParamCharset: 'utf8', // browsers send UTF-8 file names without filename*
  }).single(BACKUP_FILE_FIELD);

  const refuseOversized: RequestHandler = (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes + ENVELOPE_BYTES) {
      // Close after answering rather than reading (and discarding) the whole body first.
      res.setHeader('Connection', 'close');
      throw fileTooLarge(maxBytes);
    }
    next();
  };
  const parse: RequestHandler = (req, res, next) => {
    receive(req, res, (error?: unknown) => {
      void engine.settled(req).then(() => next(error === undefined ? undefined : translate(error)));
    });
  };
  return [refuseOversized, parse];
}

/** The received part, or 400 when the request carried no `backup_file`. */
export function receivedPart<T>(req: Request): ReceivedPart<T> {
  const part = req.file as unknown as ReceivedPart<T> | undefined;
  if (!part || part.result === undefined) {
    throw new InvalidInputError('no_backup_file', `No backup file: send the archive as multipart/form-data field "${BACKUP_FILE_FIELD}"`);
  }
  return part;
}

function translate(error: unknown): unknown {
  if (isEngineError(error)) return error;
  if (error instanceof MulterError) {
    const hint = error.code === 'LIMIT_UNEXPECTED_FILE' || error.code === 'LIMIT_FILE_COUNT'
      ? `send exactly one file, in the field "${BACKUP_FILE_FIELD}"`
      : 'the multipart body has too many or too large fields';
    return new InvalidInputError('invalid_request', `${error.message}: ${hint}`);
  }
  // busboy: no boundary, malformed part headers, a body that ends early.
  return new InvalidInputError('multipart_malformed', `Malformed multipart body: ${(error as Error)?.message ?? String(error)}`);
}
