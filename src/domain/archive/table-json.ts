import type { ArchiveValue, ColumnDef, Row } from '../schema/column';

/** Text collected before it is encoded and handed on: big enough that a chunk costs little each. */
const CHUNK = 64 * 1024;

/**
 * A table file's text as a stream of UTF-8 chunks: a JSON array with one object per line, keys in
 * schema order. The same bytes as `JSON.stringify` of an object built in schema order, written
 * without building that object: each line is the column prefixes (`{"id":`, `,"name":`, computed
 * once per table) joined with the encoded values.
 */
export async function* tableJsonChunks(pages: AsyncIterable<readonly Row[]>, columns: readonly ColumnDef[]): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const line = rowEncoder(columns);
  let text = '[';
  let first = true;
  for await (const page of pages) {
    for (const row of page) {
      text += (first ? '\n  ' : ',\n  ') + line(row);
      first = false;
      if (text.length >= CHUNK) {
        yield encoder.encode(text);
        text = '';
      }
    }
  }
  text += first ? ']\n' : '\n]\n';
  yield encoder.encode(text);
}

/** One row as a JSON object with the columns' keys in schema order (absent values as null). */
export function rowEncoder(columns: readonly ColumnDef[]): (row: Row) => string {
  const names = columns.map((c) => c.name);
  const prefixes = names.map((name, i) => (i === 0 ? '{' : ',') + JSON.stringify(name) + ':');
  return (row) => {
    let out = '';
    for (let i = 0; i < names.length; i++) out += prefixes[i] + jsonValue(row[names[i]]);
    return names.length === 0 ? '{}' : out + '}';
  };
}

function jsonValue(value: ArchiveValue | undefined): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}
