import type { ColumnDef, Row } from '../schema/column';

const CHUNK = 64 * 1024;

/**
 * A table file's text as a stream of UTF-8 chunks: a JSON array with one object per line, keys in
 * schema order. Deterministic for the same rows, so a first pass can measure the exact byte size
 * that the tar header needs and a second pass writes the same bytes.
 */
export async function* tableJsonChunks(rows: AsyncIterable<Row>, columns: readonly ColumnDef[]): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let buffer = '[';
  let first = true;
  for await (const row of rows) {
    const ordered: Row = {};
    for (const col of columns) ordered[col.name] = row[col.name] ?? null;
    buffer += (first ? '\n  ' : ',\n  ') + JSON.stringify(ordered);
    first = false;
    if (buffer.length >= CHUNK) {
      yield encoder.encode(buffer);
      buffer = '';
    }
  }
  buffer += first ? ']\n' : '\n]\n';
  yield encoder.encode(buffer);
}

export async function byteLength(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of chunks) total += chunk.byteLength;
  return total;
}
