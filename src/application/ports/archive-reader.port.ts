import type { ByteStream } from './blob-store.port';

/**
 * Reads an Aviary backup archive (docs/archive-format.md) in one streaming pass. Validation and restore both use
 * it: validation to check everything, restore to write rows and files as the entries go by.
 */
export type ArchiveEntryKind = 'metadata' | 'table' | 'document' | 'legacy-config' | 'checksums' | 'ignored';

export interface ArchiveEntry {
  /** Normalised name: no leading `./`, no trailing `/`, '/'-separated, checked safe (docs/archive-format.md). */
  readonly name: string;
  readonly kind: ArchiveEntryKind;
  /** Exact byte count of `body`. */
  readonly size: number;
  /** kind 'table': the file's base name (`users` for `database/users.json`); always a known table. */
  readonly table?: string;
  /** kind 'document' | 'legacy-config': the directory segment after `documents/` or `configs/`, unchecked. */
  readonly userId?: string;
  /** kind 'document': path below the user directory (the part after `{userId}/`). */
  readonly relativePath?: string;
  /** kind 'ignored': why the entry is skipped (also reported through `onWarning`). */
  readonly reason?: string;
  /**
   * The entry's bytes, readable once, only until the handler's promise settles. Whatever the
   * handler leaves unread is drained (and hashed) by the reader before the next entry.
   */
  readonly body: ByteStream;
}

/** Reported after an entry's body has been read to its end. */
export interface ArchiveEntryRead {
  readonly name: string;
  readonly kind: ArchiveEntryKind;
  readonly size: number;
  readonly sha256: string;
}

export interface ArchiveLimits {
  /** File and directory entries (PAX/GNU extension headers are not counted). */
  readonly maxEntries: number;
  /** Bytes of the decompressed tar stream. */
  readonly maxUncompressedBytes: number;
  /** Decompressed ÷ compressed bytes, checked continuously once `ratioGraceBytes` are out. */
  readonly maxCompressionRatio: number;
  readonly ratioGraceBytes: number;
  readonly maxMetadataBytes: number;
  /** A legacy `filesystem/configs/{userId}/rmapi.conf` (a few hundred bytes in practice); read whole. */
  readonly maxPairingBytes: number;
  /** checksums.sha256: one line per entry. */
  readonly maxChecksumsBytes: number;
  /**
   * Decompressed ÷ compressed bytes of one entry, checked once it has produced `ratioGraceBytes`:
   * the whole-archive ratio alone lets incompressible data first pay for a bomb after it.
   */
  readonly maxEntryCompressionRatio: number;
  /** Largest single JSON row (one object of a table file), in characters. */
  readonly maxJsonValueBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 200_000,
  maxUncompressedBytes: 64 * 1024 ** 3,
  // Documents (PDF, EPUB, images) barely compress; table JSON reaches ~20:1; zeros reach ~1030:1.
  maxCompressionRatio: 200,
  ratioGraceBytes: 8 * 1024 ** 2,
  maxMetadataBytes: 1024 ** 2,
  maxPairingBytes: 1024 ** 2,
  maxChecksumsBytes: 64 * 1024 ** 2,
  maxEntryCompressionRatio: 200,
  maxJsonValueBytes: 8 * 1024 ** 2,
};

export interface ArchiveProgress {
  /** Compressed bytes consumed so far. */
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
}

export interface ArchiveReadOptions {
  /** Overrides the reader's configured limits for this read. */
  readonly limits?: Partial<ArchiveLimits>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ArchiveProgress) => void;
  readonly onEntryRead?: (entry: ArchiveEntryRead) => void;
  /** Skipped entries (AppleDouble, `__MACOSX/`, unknown tables or paths). */
  readonly onWarning?: (message: string) => void;
}

export interface ArchiveReadSummary {
  /** Every file, directory and skipped entry. */
  readonly entries: number;
  /** Entries handed to `onEntry` (directories excluded). */
  readonly files: number;
  readonly compressedBytes: number;
  /** Length of the decompressed tar stream, headers and padding included. */
  readonly uncompressedBytes: number;
  readonly warnings: readonly string[];
}

export type ArchiveEntryHandler = (entry: ArchiveEntry) => Promise<void>;

export interface ArchiveReader {
  /** The limits reads use unless overridden per read. */
  readonly limits: ArchiveLimits;
  /**
   * Calls `onEntry` for each entry in archive order, one at a time, awaiting it before reading on.
   * Resolves only when gzip and tar are complete to the last byte (end-of-archive marker present,
   * nothing after the gzip members). Rejects with a DomainError (category 'integrity', code
   * `archive_invalid` or `archive_limit_exceeded`) naming the entry and the reason, with the
   * signal's reason when aborted, or with whatever `onEntry` threw. Writes nothing anywhere.
   */
  read(source: ByteStream, onEntry: ArchiveEntryHandler, options?: ArchiveReadOptions): Promise<ArchiveReadSummary>;
  /**
   * Rows of a table entry's body, parsed incrementally, in batches: the rows of each piece of text
   * as it is decoded (a few hundred at most), so a table of millions of rows is not millions of
   * awaits. A body of `null` yields nothing. Throws a DomainError naming the entry (and the row
   * index) when the body is not a JSON array of objects, is not UTF-8, or holds a row larger than
   * `maxJsonValueBytes`.
   */
  rows(entry: Pick<ArchiveEntry, 'name' | 'body'>): AsyncIterable<readonly Record<string, unknown>[]>;
}
