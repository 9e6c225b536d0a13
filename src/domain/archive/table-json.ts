import type { ArchiveValue, ColumnDef, Row } from '../schema/column';

/**
 * Bytes per chunk handed on. Each line is encoded straight into the chunk (a line at a time: small
 * strings encode fast, where one long concatenation would be flattened at great cost). Small
 * enough to die young: a chunk still being filled when V8 collects is promoted, and at 1 MiB the
 * promoted chunks held ~60 MB of a PostgreSQL backup's peak RSS until the next full collection.
 */
const CHUNK = 256 * 1024;
/** UTF-8 needs at most 3 bytes per UTF-16 code unit. */
const MAX_BYTES_PER_UNIT = 3;

/**
 * A table file's text as a stream of UTF-8 chunks: a JSON array with one object per line, keys in
 * schema order. The same bytes as `JSON.stringify` of an object built in schema order, written
 * without building that object: each line is the column prefixes (`{"id":`, `,"name":`, computed
 * once per table) joined with the encoded values.
 */
export async function* tableJsonChunks(pages: AsyncIterable<readonly Row[]>, columns: readonly ColumnDef[]): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const line = rowEncoder(columns);
  let chunk = new Uint8Array(CHUNK);
  let used = 0;
  let first = true;
  const put = (text: string) => (used += encoder.encodeInto(text, chunk.subarray(used)).written);
  put('[');
  for await (const page of pages) {
    for (const row of page) {
      const text = (first ? '\n  ' : ',\n  ') + line(row);
      first = false;
      if (used + text.length * MAX_BYTES_PER_UNIT > CHUNK) {
        yield chunk.subarray(0, used);
        chunk = new Uint8Array(CHUNK);
        used = 0;
        if (text.length * MAX_BYTES_PER_UNIT > CHUNK) {
          yield encoder.encode(text);
          continue;
        }
      }
      put(text);
    }
  }
  const end = first ? ']\n' : '\n]\n';
  if (used + end.length > CHUNK) {
    yield chunk.subarray(0, used);
    chunk = new Uint8Array(end.length);
    used = 0;
  }
  put(end);
  yield chunk.subarray(0, used);
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
