import { DomainError, isDomainError } from '../../domain/errors';

/** Names as they appear in messages: quoted, with control characters (NUL…) made visible. */
export function quoteName(name: string): string {
  return JSON.stringify(name);
}

/** A malformed or unsafe archive. The message names the entry (when there is one) and the reason. */
export function archiveInvalid(entry: string | undefined, reason: string): DomainError {
  const message = entry === undefined ? reason : `Entry ${quoteName(entry)}: ${reason}`;
  return new DomainError('integrity', 'archive_invalid', message, { ...(entry !== undefined ? { entry } : {}), reason });
}

/** An archive over a configured limit (entries, size, compression ratio, JSON value size). */
export function archiveLimit(entry: string | undefined, reason: string, limit: string): DomainError {
  const message = entry === undefined ? reason : `Entry ${quoteName(entry)}: ${reason}`;
  return new DomainError('integrity', 'archive_limit_exceeded', message, {
    ...(entry !== undefined ? { entry } : {}),
    reason,
    limit,
  });
}

/** Adds the entry being read to an error raised below the tar layer (gzip, limits). */
export function withEntry(error: unknown, entry: string | undefined): unknown {
  if (!isDomainError(error) || entry === undefined || error.details?.entry !== undefined) return error;
  if (error.code !== 'archive_invalid' && error.code !== 'archive_limit_exceeded') return error;
  const reason = String(error.details?.reason ?? error.message);
  return new DomainError(error.category, error.code, `Entry ${quoteName(entry)}: ${reason}`, { ...error.details, entry });
}

