import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { LineStage } from '../../application/ports/record-store.port';
import type { RowSpool, RowSpoolFactory, SpoolEncoding } from '../../application/ports/row-spool.port';
import type { Row, TableDef } from '../../domain/schema/column';
import { tableDef } from '../../domain/schema/aviary-schema';
import { UnavailableError } from '../../domain/errors';
import { YoungCollector } from '../young-generation';

/**
 * Text gathered per table before it is handed to the file stream (one write call per chunk, each
 * a hand-off to a libuv thread). 64 KiB instead of 16 KiB, with the stage's statements grown the
 * same way, took a 1.59M-row SQLite restore from 23.1–24.4 s to 21.4–23.5 s (four alternating
 * runs each; system time 6.4–7.6 s to 5.7–6.3 s); 256 KiB writes with 1 MiB statements gained
 * nothing more and peaked at 205–209 MB.
 */
const WRITE_CHARS = 64 * 1024;
/**
 * What a table's file stream buffers before `write` waits for it to drain: four of those chunks.
 * When every chunk filled the buffer, the read pass waited for each write to reach the disk while
 * that thread did the write: 1.59M rows restored in 17.0 s, against 14.2–14.5 s with four chunks.
 */
const WRITE_BUFFER_BYTES = 4 * WRITE_CHARS;
const READ_BYTES = 64 * 1024;
/**
 * Encoded lines are read back in chunks of about this much: each chunk is one statement or a few
 * CopyData messages for the database, so larger chunks mean fewer round trips, smaller ones less
 * memory (SQLite holds a chunk several times over while it parses it).
 */
const LINE_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * One file per table under `${DATA_DIR}/tmp-restore/{runId}/`: JSON lines of rows, or, for the
 * tables of the spool's encoding, the store's own lines, written once here and loaded as they are.
 */
class JsonlRowSpool implements RowSpool {
  private readonly writers = new Map<string, WriteStream>();
  private readonly counts = new Map<string, number>();
  /** Rows appended but not yet handed to the table's stream, as text. */
  private readonly pending = new Map<string, string>();
  /** Encoded tables' definitions. */
  private readonly encodedDefs = new Map<string, TableDef>();
  /** Per encoded table, the first row its encoding refused: loading the table fails with it. */
  private readonly refused = new Map<string, unknown>();
  /** The first write error (a full disk, typically): every later call throws it. */
  private failure: Error | undefined;

  readonly stage?: LineStage;
  private readonly young = new YoungCollector({ reclaimOld: true });

  constructor(private readonly dir: string, private readonly encoding?: SpoolEncoding) {
    this.stage = encoding?.encoding.openStage?.(join(dir, 'stage.db'), [...encoding.tables].flatMap((table) => tableDef(table) ?? []));
  }

  open(table: string): void {
    if (this.writers.has(table)) return;
    const def = this.encoding?.tables.has(table) ? tableDef(table) : undefined;
    if (def) this.encodedDefs.set(table, def);
    const writer = createWriteStream(join(this.dir, `${table}${def ? '.lines' : '.jsonl'}`), { flags: 'w', mode: 0o600, highWaterMark: WRITE_BUFFER_BYTES });
    // Without a listener a failed write would be an uncaught 'error' event and end the process.
    writer.on('error', (error) => (this.failure ??= spoolError(error, this.dir)));
    this.writers.set(table, writer);
  }

  async append(table: string, row: Row): Promise<void> {
    this.open(table);
    if (this.failure) throw this.failure;
    if (this.writers.get(table)!.writableEnded) throw new Error(`rows of ${table} after its end`);
    const line = this.encodedDefs.has(table) ? this.encodedLine(table, row) : JSON.stringify(row) + '\n';
    if (line === undefined) return;
    const text = (this.pending.get(table) ?? '') + line;
    this.counts.set(table, this.counts.get(table)! + 1);
    if (text.length < WRITE_CHARS) {
      this.pending.set(table, text);
      return;
    }
    this.pending.set(table, '');
    const def = this.stage && this.encodedDefs.get(table);
    if (!def) return this.write(this.writers.get(table)!, text);
    // One encoding to bytes for both the file and the stage; they die young, outside V8's heap.
    const bytes = Buffer.from(text);
    this.young.passed(bytes.byteLength);
    await this.write(this.writers.get(table)!, bytes);
    await this.stage!.add(def, bytes);
  }

  /** The row's line, or undefined once the table has a refused row (it can no longer be loaded). */
  private encodedLine(table: string, row: Row): string | undefined {
    if (this.refused.has(table)) return undefined;
    try {
      return this.encoding!.encoding.line(this.encodedDefs.get(table)!, row);
    } catch (error) {
      this.refused.set(table, error);
      return undefined;
    }
  }

  /** Writes, then waits while the stream's buffer is full, so memory holds about one chunk per table. */
  private async write(writer: WriteStream, text: string | Buffer): Promise<void> {
    if (!writer.write(text)) {
      // One listener pair per wait, removed when either fires: waits must not pile up on the stream.
      await new Promise<void>((resolve) => {
        const done = () => {
          writer.off('drain', done);
          writer.off('close', done);
          resolve();
        };
        writer.on('drain', done);
        writer.on('close', done);
      });
    }
    if (this.failure) throw this.failure;
  }

  /** Hands the table's last partial chunk to its stream and closes it. */
  private async close(table: string, writer: WriteStream): Promise<void> {
    if (writer.closed) return;
    const rest = this.pending.get(table) ?? '';
    this.pending.delete(table);
    writer.end(rest);
    // Listened for now: the file may well be closed while the stage takes the last lines.
    const closed = once(writer, 'close').catch(() => undefined);
    const def = this.stage && this.encodedDefs.get(table);
    // A table with a refused row or a failed write is never ended: the stage then leaves it to the lines.
    if (def && !this.refused.has(table) && !this.failure) {
      if (rest) await this.stage!.add(def, Buffer.from(rest));
      this.stage!.end(table);
    }
    await closed;
  }

  async end(table: string): Promise<void> {
    const writer = this.writers.get(table);
    if (writer) await this.close(table, writer);
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<void> {
    for (const [table, writer] of this.writers) await this.close(table, writer);
    if (this.failure) throw this.failure;
  }

  tables(): string[] {
    return [...this.writers.keys()];
  }

  encoded(table: string): boolean {
    return this.encodedDefs.has(table);
  }

  async *rows(table: string): AsyncIterable<Row> {
    const writer = this.writers.get(table);
    if (!writer) return;
    if (this.encoded(table)) throw new Error(`${table} was spooled as lines, not rows`);
    await this.close(table, writer);
    if (this.failure) throw this.failure;
    // JSON.stringify escapes every newline inside a value, so a newline always ends a row.
    let rest = '';
    for await (const chunk of createReadStream(join(this.dir, `${table}.jsonl`), { encoding: 'utf8', highWaterMark: READ_BYTES })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        if (end > start) yield JSON.parse(text.slice(start, end)) as Row;
        start = end + 1;
      }
      rest = text.slice(start);
    }
    if (rest) yield JSON.parse(rest) as Row;
  }

  async *lines(table: string): AsyncIterable<Uint8Array> {
    const writer = this.writers.get(table);
    if (!writer) return;
    if (!this.encoded(table)) throw new Error(`${table} was spooled as rows, not lines`);
    await this.close(table, writer);
    if (this.failure) throw this.failure;
    if (this.refused.has(table)) throw this.refused.get(table);
    let rest: Buffer | null = null;
    const young = new YoungCollector({ reclaimOld: true });
    for await (const read of createReadStream(join(this.dir, `${table}.lines`), { highWaterMark: LINE_CHUNK_BYTES })) {
      // The chunks die young, outside V8's heap: left to V8, tens of MB of them would wait for a collection.
      young.passed((read as Buffer).length);
      const bytes: Buffer = rest ? Buffer.concat([rest, read as Buffer]) : (read as Buffer);
      const end = bytes.lastIndexOf(NEWLINE) + 1;
      rest = end < bytes.length ? bytes.subarray(end) : null;
      if (end > 0) yield bytes.subarray(0, end);
    }
    // Every line ends in a newline: bytes after the last one would be a torn write.
    if (rest) throw new Error(`${table}'s spooled lines end without a newline`);
  }

  async dispose(): Promise<void> {
    for (const [table, writer] of this.writers) await this.close(table, writer);
    await this.stage?.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A spool write that failed: a full disk says so and what to do; anything else is storage trouble. */
function spoolError(error: Error, dir: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UnavailableError('storage_full',
      `The disk holding the restore's work folder (${dir}) is full (${code}): free space on it or move DATA_DIR to a larger disk, then try again`);
  }
  return new UnavailableError('spool_unavailable', `The restore's work folder (${dir}) cannot be written (${code ?? error.name}); check DATA_DIR and its permissions`);
}

export class JsonlRowSpoolFactory implements RowSpoolFactory {
  constructor(private readonly baseDir: string) {}

  async create(runId: string, encoding?: SpoolEncoding): Promise<RowSpool> {
    const dir = join(this.baseDir, runId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new JsonlRowSpool(dir, encoding);
  }

  async sweep(keep: ReadonlySet<string>): Promise<number> {
    const names = await readdir(this.baseDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (keep.has(name)) continue;
      await rm(join(this.baseDir, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}
