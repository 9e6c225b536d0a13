/**
 * Object storage for documents, pairing files and backups. Keys follow docs/archive-format.md and are checked by
 * `assertValidKey` (src/domain/storage-key.ts) in every adapter before any I/O.
 * Bodies are streams end to end: no adapter buffers a whole object.
 */
export type ByteStream = AsyncIterable<Uint8Array>;

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

export interface PutOptions {
  /** Byte count when known up front; adapters may use it to avoid buffering. */
  readonly size?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads of a stored gzipped archive: small enough that a chunk dies young. A 1 MiB chunk lived while
 * ~10 MiB were inflated from it, outlived V8's young-generation collections and reached the old
 * generation, where dead ones piled up (a server restore of 300K rows peaked at 152–207 MB; 155–173 MB
 * with this). The price is speed where documents dominate: each read is one hand-over to zlib's
 * thread, and a 954 MiB files restore took 3.7–4.1 s instead of 2.9 s, so the CLI, which restores
 * the archives operators move around, still reads 1 MiB at a time.
 */
export const ARCHIVE_READ_BYTES = 64 * 1024;

export interface GetOptions {
  /** Inclusive byte range. */
  readonly start?: number;
  readonly end?: number;
  readonly signal?: AbortSignal;
  /**
   * Bytes per read the caller prefers, a hint a backend may ignore. Archive readers ask for
   * `ARCHIVE_READ_BYTES`: each compressed chunk stays alive while about ten times its size is
   * inflated from it.
   */
  readonly readSize?: number;
}

export interface ListPage {
  readonly items: readonly BlobInfo[];
  /** Pass back to get the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface ListOptions {
  readonly cursor?: string;
  /** Page size; adapters cap it at 1000. */
  readonly limit?: number;
}

export interface BlobStore {
  /** The registered kind, e.g. `filesystem` or `s3`. */
  readonly kind: string;
  /** Throws UnavailableError when the backend cannot be reached. */
  ping(): Promise<void>;
  /**
   * Writes atomically: readers see the old object or the complete new one, never a partial one.
   * Rejects (and leaves no trace) when the body stream errors or the signal aborts.
   */
  put(key: string, body: ByteStream, options?: PutOptions): Promise<BlobInfo>;
  /** Throws NotFoundError (code `blob_not_found`) for a missing key. */
  get(key: string, options?: GetOptions): Promise<ByteStream>;
  stat(key: string): Promise<BlobInfo | null>;
  /** Recursive listing of every object whose key starts with `prefix`, in ascending key order. */
  listPage(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every object under the prefix; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** Renames (or copies then deletes) an object; the destination appears atomically. */
  move(fromKey: string, toKey: string): Promise<void>;
  /** Releases connections or timers. */
  close?(): Promise<void>;
}
