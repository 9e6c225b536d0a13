import assert from 'node:assert/strict';
import { tableJsonChunks } from '../../src/domain/archive/table-json';
import type { ColumnDef, Row } from '../../src/domain/schema/column';

const columns: ColumnDef[] = [
  { name: 'id', type: 'bigint' },
  { name: 'note', type: 'text' },
  { name: 'ok', type: 'bool' },
] as ColumnDef[];

/** The text the file must hold: JSON.stringify of each row with keys in schema order, one per line. */
function expected(rows: readonly Row[]): string {
  const lines = rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, row[c.name] ?? null]))));
  return lines.length === 0 ? '[]\n' : `[\n  ${lines.join(',\n  ')}\n]\n`;
}

async function written(pages: readonly (readonly Row[])[]): Promise<{ text: string; chunks: number }> {
  async function* source() {
    yield* pages;
  }
  const parts: Uint8Array[] = [];
  for await (const chunk of tableJsonChunks(source(), columns)) parts.push(chunk.slice());
  return { text: Buffer.concat(parts).toString('utf8'), chunks: parts.length };
}

describe('tableJsonChunks', () => {
  it('writes an empty table as an empty array', async () => {
    assert.equal((await written([])).text, expected([]));
  });

  it('writes the bytes JSON.stringify would, across chunk ends, with multi-byte text, escapes and a line longer than a chunk', async () => {
    const rows: Row[] = [];
    for (let i = 0; i < 30_000; i++) {
      rows.push({ id: i, note: i % 3 === 0 ? `é ✓ 🐦 "${i}"\n\t\\` : 'x'.repeat(i % 97), ok: i % 2 === 0 });
    }
    rows.splice(12_345, 0, { id: -1, note: '✓'.repeat(1_500_000), ok: null }, { id: -2, ok: true });
    const pages = [rows.slice(0, 7), rows.slice(7, 20_000), [], rows.slice(20_000)];
    const { text, chunks } = await written(pages);
    assert.ok(chunks > 3, `${chunks} chunks`);
    assert.equal(text, expected(rows));
  });
});
