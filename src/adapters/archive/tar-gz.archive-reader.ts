import { createHash, type Hash } from 'node:crypto';
import {
  DEFAULT_ARCHIVE_LIMITS, type ArchiveEntry, type ArchiveEntryHandler, type ArchiveLimits, type ArchiveReader,
  type ArchiveReadOptions, type ArchiveReadSummary,
} from '../../application/ports/archive-reader.port';
import type { ByteStream } from '../../application/ports/blob-store.port';
import { formatBytes } from '../../domain/byte-size';
import { archiveInvalid, archiveLimit, quoteName, withEntry } from './archive-error';
import { ByteCursor } from './byte-cursor';
import { classifyName } from './entry-name';
import { gunzipChunks, type GunzipCounters } from './gunzip-stream';
import { jsonRows } from './json-rows';
import type { TarBody } from './tar-body';
import { walkTar } from './tar-walker';
import { YoungCollector } from '../young-generation';

const MAX_KEPT_WARNINGS = 1000;

/** Entries that readers take whole (as text), and the limit each is held to. */
const WHOLE_ENTRY_LIMITS: Partial<Record<ArchiveEntry['kind'], 'maxMetadataBytes' | 'maxPairingBytes' | 'maxChecksumsBytes'>> = {
  metadata: 'maxMetadataBytes',
  'legacy-config': 'maxPairingBytes',
  checksums: 'maxChecksumsBytes',
};

/**
 * The compression ratio of one entry, checked as its bytes come out. Compressed bytes are those
 * fed to gunzip since the entry began (zlib may hold a piece in its buffer, which only lowers the ratio).
 */
function entryRatioCheck(name: string, counters: GunzipCounters, limits: ArchiveLimits): (chunk: Uint8Array) => void {
  const compressedAtStart = counters.compressedBytes;
  let out = 0;
  return (chunk) => {
    out += chunk.byteLength;
    if (out <= limits.ratioGraceBytes) return;
    const compressed = Math.max(1, counters.compressedBytes - compressedAtStart);
    const ratio = out / compressed;
    if (ratio > limits.maxEntryCompressionRatio) {
      throw archiveLimit(
        name,
        `compression ratio ${Math.round(ratio)}:1 is above the per-entry limit of ${limits.maxEntryCompressionRatio}:1 ` +
          `(${formatBytes(compressed)} expanded to ${formatBytes(out)}): a gzip bomb? Reading stopped`,
        'maxEntryCompressionRatio',
      );
    }
  };
}

/**
 * The archive reader: node:zlib gunzip → a block-level tar walk (node-tar's `Header` decodes each
 * header) → one entry at a time to the handler. Single pass, nothing written anywhere, memory
 * bounded by one decompressed chunk plus the set of entry names (≈100 bytes per entry, capped by
 * maxEntries).
 *
 * node-tar's `Parser` is not used for the walk: it ignores non-zero data after the end marker while
 * buffering all of it in memory, and cannot say where the end marker sits; its PAX reading drops
 * malformed records and truncates values at NUL, so names could differ from what GNU tar sees.
 */
export class TarGzArchiveReader implements ArchiveReader {
  readonly limits: ArchiveLimits;

  constructor(limits: Partial<ArchiveLimits> = {}) {
    this.limits = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  }

  async read(source: ByteStream, onEntry: ArchiveEntryHandler, options: ArchiveReadOptions = {}): Promise<ArchiveReadSummary> {
    const limits = { ...this.limits, ...options.limits };
    const counters: GunzipCounters = { compressedBytes: 0, uncompressedBytes: 0 };
    const warnings: string[] = [];
    const warn = (message: string) => {
      if (warnings.length < MAX_KEPT_WARNINGS) warnings.push(message);
      options.onWarning?.(message);
    };
    const chunks = gunzipChunks(source, { limits, signal: options.signal, onProgress: options.onProgress }, counters);
    const cursor = new ByteCursor(chunks);
    // The inflated chunks die young, outside V8's heap; left to V8, tens of MB of them wait for a
    // collection. A table's chunks wait while their rows are parsed and spooled, and some die in the
    // old generation; a document's go straight to storage and need no full collection.
    const young = { rows: new YoungCollector({ reclaimOld: true }), documents: new YoungCollector({ reclaimOld: false }) };
    const seen = new Set<string>();
    const shapes = new PathShapes();
    let files = 0;
    let current: string | undefined;
    try {
      const entries = await walkTar(cursor, { maxEntries: limits.maxEntries }, async (head, body) => {
        shapes.add(head.name, head.type);
        if (head.type === 'directory') return;
        current = head.name;
        if (seen.has(head.name)) throw archiveInvalid(head.name, 'appears twice in the archive');
        seen.add(head.name);
        const meaning = classifyName(head.name);
        const wholeLimit = WHOLE_ENTRY_LIMITS[meaning.kind];
        if (wholeLimit && head.size > limits[wholeLimit]) {
          throw archiveLimit(head.name, `is ${formatBytes(head.size)}, more than the limit of ${formatBytes(limits[wholeLimit])}`, wholeLimit);
        }
        if (meaning.kind === 'ignored') warn(`Skipped ${quoteName(head.name)}: ${meaning.reason}`);
        files++;
        const hash = createHash('sha256');
        const ratioCheck = entryRatioCheck(head.name, counters, limits);
        const collector = meaning.kind === 'document' ? young.documents : young.rows;
        const meter = (chunk: Uint8Array) => {
          ratioCheck(chunk);
          collector.passed(chunk.byteLength);
        };
        const stream = new EntryBody(body, hash, meter);
        const entry: ArchiveEntry = { name: head.name, size: head.size, ...meaning, body: stream };
        try {
          await onEntry(entry);
        } finally {
          stream.close();
        }
        for (let c = await stream.readRest(); c !== null; c = await stream.readRest()) hash.update(c);
        options.onEntryRead?.({ name: head.name, kind: meaning.kind, size: head.size, sha256: hash.digest('hex') });
        current = undefined;
      });
      return { entries, files, compressedBytes: counters.compressedBytes, uncompressedBytes: counters.uncompressedBytes, warnings };
    } catch (error) {
      throw withEntry(error, current);
    } finally {
      await chunks.return(undefined);
    }
  }

  rows(entry: Pick<ArchiveEntry, 'name' | 'body'>): AsyncIterable<readonly Record<string, unknown>[]> {
    return jsonRows(entry.name, entry.body, this.limits.maxJsonValueBytes);
  }
}

/**
 * Refuses a name used both as a file and as a directory (`a.pdf` and `a.pdf/b.pdf`): tar lets the
 * later entry win, a filesystem or object store fails half-way through a restore.
 */
class PathShapes {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();

  add(name: string, type: 'file' | 'directory'): void {
    if (name === '') return;
    const segments = name.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (this.files.has(dir)) throw archiveInvalid(name, `${quoteName(dir)} is a file in this archive and cannot also be a directory`);
      this.dirs.add(dir);
    }
    if (type === 'directory') {
      if (this.files.has(name)) throw archiveInvalid(name, 'is both a file and a directory in this archive');
      this.dirs.add(name);
    } else {
      if (this.dirs.has(name)) throw archiveInvalid(name, 'is both a file and a directory in this archive');
      this.files.add(name);
    }
  }
}

/** An entry's body as a once-only async iterable, hashed as it is read, dead once closed. */
class EntryBody implements AsyncIterable<Uint8Array> {
  private started = false;
  private open = true;

  constructor(
    private readonly body: TarBody,
    private readonly hash: Hash,
    private readonly meter: (chunk: Uint8Array) => void,
  ) {}

  close(): void {
    this.open = false;
  }

  /** What the handler left unread (the reader drains it; not hashed here). */
  async readRest(): Promise<Buffer | null> {
    const chunk = await this.body.read();
    if (chunk) this.meter(chunk);
    return chunk;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.started) throw new Error(`The body of ${quoteName(this.body.name)} can be read only once`);
    this.started = true;
    return {
      next: async () => {
        if (!this.open) throw new Error(`The body of ${quoteName(this.body.name)} was read after its handler returned`);
        const chunk = await this.body.read();
        if (chunk === null) return { done: true, value: undefined };
        this.meter(chunk);
        this.hash.update(chunk);
        return { done: false, value: chunk };
      },
      return: async () => ({ done: true, value: undefined }),
    };
  }
}
