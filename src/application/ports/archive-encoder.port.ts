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

/** Turns entries into the bytes of a backup archive (gzip-compressed tar), pulled lazily. */
export interface ArchiveEncoder {
  encode(entries: AsyncIterable<ArchiveSourceEntry>, hooks?: EncodeHooks): ByteStream;
}
