import { parseChecksumLine } from '../../../domain/archive/checksum-line';
import { DomainError } from '../../../domain/errors';
import type { ArchiveEntry } from '../../ports/archive-reader.port';
import type { ByteStream } from '../../ports/blob-store.port';
import { lines } from '../validate-archive/text-body';

const MAX_LINE = 8192;

/**
 * The restore's second pass compares each entry's digest with checksums.sha256 again: the archive
 * must not change between validation and restore. Lines are compared as they stream by; only
 * those naming entries not read yet are kept (none in our own archives, where the list comes last).
 */
export class ArchiveRecheck {
  private readonly digests = new Map<string, string>();
  private readonly pending = new Map<string, string>();

  entryRead(name: string, sha256: string): void {
    this.digests.set(name, sha256);
    const expected = this.pending.get(name);
    if (expected !== undefined) {
      this.pending.delete(name);
      if (expected !== sha256) throw changed(name);
    }
  }

  async readManifest(body: ByteStream): Promise<void> {
    for await (const line of lines(body, MAX_LINE)) {
      const parsed = parseChecksumLine(line);
      if (!parsed) continue;
      const seen = this.digests.get(parsed.name);
      if (seen === undefined) this.pending.set(parsed.name, parsed.sha256);
      else if (seen !== parsed.sha256) throw changed(parsed.name);
    }
  }
}

/** A small entry as text; the reader has already refused one above its limit, this is the backstop. */
export async function boundedText(entry: Pick<ArchiveEntry, 'name' | 'size' | 'body'>, maxBytes: number): Promise<string> {
  if (entry.size > maxBytes) {
    throw new DomainError('integrity', 'archive_limit_exceeded', `Entry ${JSON.stringify(entry.name)}: is ${entry.size} bytes, more than the limit of ${maxBytes}`);
  }
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  for await (const chunk of entry.body) {
    read += chunk.byteLength;
    if (read > maxBytes) throw new DomainError('integrity', 'archive_limit_exceeded', `Entry ${JSON.stringify(entry.name)}: longer than its header says`);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function changed(name: string): DomainError {
  return new DomainError('integrity', 'archive_changed', `${JSON.stringify(name)} changed since the archive was validated; nothing was restored`);
}
