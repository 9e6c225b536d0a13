import type { ByteStream } from './blob-store.port';

export interface ArchiveSourceEntry {
  readonly name: string;
  /** Exact byte count of the body, known before it is read (tar writes it first). */
  readonly size: number;
  readonly mtime?: Date;
  readonly body: ByteStream | Uint8Array;
}

export interface EncodedEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface EncodeHooks {
  /** After an entry's last byte; digests arrive in entry order. */
  onEntry?(entry: EncodedEntry): void;
  /** Uncompressed bytes consumed and compressed bytes produced so far. */
  onBytes?(uncompressed: number, compressed: number): void;
}

/** A body of unknown length, written aside once so that its size is known before its entry. */
export interface StagedBody {
  readonly size: number;
  /** The staged bytes, from the start (read it at most once). */
  read(): ByteStream;
  /** Frees the staged bytes; safe to call more than once. */
  close(): Promise<void>;
}

/** Turns entries into the bytes of a backup archive (gzip-compressed tar), pulled lazily. */
export interface ArchiveEncoder {
  encode(entries: AsyncIterable<ArchiveSourceEntry>, hooks?: EncodeHooks): ByteStream;
  /**
   * Stages a body produced on the fly (a table file) to learn its size: a tar header carries the
   * size before the body, and producing the body twice would cost twice.
   */
  stage(body: ByteStream): Promise<StagedBody>;
}
