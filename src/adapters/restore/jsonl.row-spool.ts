import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RowSpool, RowSpoolFactory } from '../../application/ports/row-spool.port';
import type { Row } from '../../domain/schema/column';
import { UnavailableError } from '../../domain/errors';

/** One JSON-lines file per table under `${DATA_DIR}/tmp-restore/{runId}/`. */
class JsonlRowSpool implements RowSpool {
  private readonly writers = new Map<string, WriteStream>();
  /** The first write error (a full disk, typically): every later call throws it. */
  private failure: Error | undefined;

  constructor(private readonly dir: string) {}

  open(table: string): void {
    if (this.writers.has(table)) return;
    const writer = createWriteStream(join(this.dir, `${table}.jsonl`), { flags: 'w', mode: 0o600 });
    // Without a listener a failed write would be an uncaught 'error' event and end the process.
    writer.on('error', (error) => (this.failure ??= spoolError(error, this.dir)));
    this.writers.set(table, writer);
  }

  async append(table: string, row: Row): Promise<void> {
    this.open(table);
    if (this.failure) throw this.failure;
    const writer = this.writers.get(table)!;
    if (!writer.write(JSON.stringify(row) + '\n')) {
      await Promise.race([once(writer, 'drain'), once(writer, 'close')]).catch(() => undefined);
    }
    if (this.failure) throw this.failure;
  }

  tables(): string[] {
    return [...this.writers.keys()];
  }

  async *rows(table: string): AsyncIterable<Row> {
    const writer = this.writers.get(table);
    if (!writer) return;
    if (!writer.closed) {
      writer.end();
      await once(writer, 'close').catch(() => undefined);
    }
    if (this.failure) throw this.failure;
    const lines = createInterface({ input: createReadStream(join(this.dir, `${table}.jsonl`)), crlfDelay: Infinity });
    for await (const line of lines) if (line) yield JSON.parse(line) as Row;
  }

  async dispose(): Promise<void> {
    for (const writer of this.writers.values()) {
      if (!writer.closed) {
        writer.end();
        await once(writer, 'close').catch(() => undefined);
      }
    }
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

  async create(runId: string): Promise<RowSpool> {
    const dir = join(this.baseDir, runId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new JsonlRowSpool(dir);
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
