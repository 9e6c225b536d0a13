import { DomainError } from '../../../domain/errors';
import type { ArchiveEntry } from '../../ports/archive-reader.port';

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
