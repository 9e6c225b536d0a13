import { createHash } from 'node:crypto';
import { Header, Pax } from 'tar';
import { DeflatedRun } from './deflated-run';

export interface TarEntrySource {
  /** Entry name inside the archive ('/'-separated, relative). */
  readonly name: string;
  /** Exact byte count the body will produce; written into the header before the body. */
  readonly size: number;
  readonly mtime?: Date;
  readonly body: AsyncIterable<Uint8Array> | Uint8Array;
}

export interface TarEntryWritten {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export class EntrySizeMismatchError extends Error {
  constructor(
    readonly entryName: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${entryName}: expected ${expected} bytes but its source produced ${actual}${actual > expected ? ' or more' : ''} (it changed while being archived)`);
    this.name = 'EntrySizeMismatchError';
  }
}

const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK * 2);

function headerBlocks(entry: TarEntrySource): Buffer {
  const data = {
    path: entry.name,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: entry.size,
    mtime: entry.mtime ?? new Date(),
    type: 'File' as const,
    uname: '',
    gname: '',
  };
  const header = new Header(data);
  const block = Buffer.alloc(BLOCK);
  // encode() answers true when the name or size does not fit ustar: a PAX record carries it then.
  const needPax = header.encode(block);
  return needPax ? Buffer.concat([new Pax(data).encode(), block]) : block;
}

/**
 * A POSIX (ustar + PAX) tar stream of the given entries, pulled lazily: each body is read only
 * when the consumer wants its bytes. Every entry's sha256 is reported as it completes. A body that
 * produces a different byte count than declared fails the stream rather than writing a bad tar.
 * A body already deflated (a staged table file) is passed on whole, for the gzip stage to splice.
 */
export async function* tarStream(
  entries: AsyncIterable<TarEntrySource>,
  onEntry?: (written: TarEntryWritten) => void,
): AsyncGenerator<Uint8Array | DeflatedRun> {
  for await (const entry of entries) {
    yield headerBlocks(entry);
    if (entry.body instanceof DeflatedRun) {
      if (entry.body.length !== entry.size) throw new EntrySizeMismatchError(entry.name, entry.size, entry.body.length);
      yield entry.body;
      const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (padding > 0) yield ZEROS.subarray(0, padding);
      onEntry?.({ name: entry.name, size: entry.size, sha256: entry.body.sha256 });
      continue;
    }
    const hash = createHash('sha256');
    let written = 0;
    const body = entry.body instanceof Uint8Array ? [entry.body] : entry.body;
    for await (const chunk of body) {
      written += chunk.byteLength;
      if (written > entry.size) throw new EntrySizeMismatchError(entry.name, entry.size, written);
      hash.update(chunk);
      yield chunk;
    }
    if (written !== entry.size) throw new EntrySizeMismatchError(entry.name, entry.size, written);
    const padding = (BLOCK - (written % BLOCK)) % BLOCK;
    if (padding > 0) yield ZEROS.subarray(0, padding);
    onEntry?.({ name: entry.name, size: written, sha256: hash.digest('hex') });
  }
  yield ZEROS;
}
