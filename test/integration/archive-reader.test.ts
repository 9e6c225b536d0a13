import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TarGzArchiveReader } from '../../src/adapters/archive/tar-gz.archive-reader';
import type { ArchiveEntry, ArchiveEntryRead } from '../../src/application/ports/archive-reader.port';
import { DomainError } from '../../src/domain/errors';
import { bufferStream, dirBlocks, fileBlocks, gzip, ourArchive, tarOf } from '../support/archive-builder';

const reader = new TarGzArchiveReader();

async function* chunks(text: string | Buffer, size: number): AsyncGenerator<Uint8Array> {
  const data = Buffer.from(text);
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function rowsOf(text: string | Buffer, chunkSize = 3): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const batch of reader.rows({ name: 'database/users.json', body: chunks(text, chunkSize) })) rows.push(...batch);
  return rows;
}

describe('TarGzArchiveReader: what restore relies on', () => {
  it('hands entries over in order, drains and hashes what a handler leaves unread', async () => {
    const big = Buffer.alloc(300_000, 7);
    const gz = await ourArchive([
      { name: 'metadata.json', body: '{}' },
      { name: 'filesystem/documents/u/big.pdf', body: big },
      { name: 'database/users.json', body: '[]' },
    ]);
    const seen: string[] = [];
    const read: ArchiveEntryRead[] = [];
    const summary = await reader.read(bufferStream(gz, 1000), async (entry) => {
      seen.push(`${entry.kind}:${entry.name}`);
      if (entry.kind === 'document') {
        for await (const chunk of entry.body) {
          assert.ok(chunk.byteLength > 0);
          break; // reads one chunk only
        }
      }
    }, { onEntryRead: (e) => read.push(e) });
    assert.deepEqual(seen, ['metadata:metadata.json', 'document:filesystem/documents/u/big.pdf', 'table:database/users.json']);
    assert.equal(read[1].sha256, createHash('sha256').update(big).digest('hex'));
    assert.equal(summary.files, 3);
  });

  it('refuses to hand out a body after its handler returned', async () => {
    let kept: ArchiveEntry | undefined;
    const gz = await ourArchive([{ name: 'metadata.json', body: '{}' }, { name: 'database/users.json', body: '[]' }]);
    await reader.read(bufferStream(gz), async (entry) => {
      kept ??= entry;
    });
    await assert.rejects(async () => {
      for await (const _ of kept!.body) void _;
    }, /after its handler returned/);
  });

  it('stops and rejects with whatever the handler throws', async () => {
    const gz = await ourArchive([{ name: 'metadata.json', body: '{}' }, { name: 'database/users.json', body: '[]' }]);
    let calls = 0;
    await assert.rejects(reader.read(bufferStream(gz), async () => {
      calls++;
      throw new Error('database is down');
    }), /database is down/);
    assert.equal(calls, 1);
  });

  it('skips directories and ./ prefixes, reports skipped macOS files as warnings', async () => {
    const tar = tarOf(dirBlocks('./'), dirBlocks('./database/'), dirBlocks('filesystem'), fileBlocks('./database/users.json', '[]'), fileBlocks('./database/._users.json', 'x'));
    const names: string[] = [];
    const summary = await reader.read(bufferStream(gzip(tar)), async (e) => void names.push(`${e.kind}:${e.name}`));
    assert.deepEqual(names, ['table:database/users.json', 'ignored:database/._users.json']);
    assert.equal(summary.entries, 5);
    assert.deepEqual(summary.warnings, ['Skipped "database/._users.json": macOS AppleDouble file']);
  });

  it('rejects with a DomainError of category integrity naming the entry', async () => {
    const tar = tarOf(fileBlocks('a/../../b', 'x'));
    const error = await reader.read(bufferStream(gzip(tar)), async () => undefined).catch((e) => e);
    assert.ok(error instanceof DomainError);
    assert.equal(error.category, 'integrity');
    assert.equal(error.code, 'archive_invalid');
    assert.equal(error.details?.entry, 'a/../../b');
  });
});

describe('TarGzArchiveReader.rows: the incremental JSON array parser', () => {
  it('parses rows split at every possible point, with escapes, nesting and unicode', async () => {
    const rows = [{ a: 'x\\"y\u00e9\u{1F600}', b: [1, { c: '}]' }], d: null }, { e: '\\' }, {}];
    const text = ` \n${JSON.stringify(rows, null, 2)}\n `;
    for (const size of [1, 2, 3, 7, 64]) assert.deepEqual(await rowsOf(text, size), rows);
  });

  it('gives the same rows, or the same refusal, however the text is cut: rows parsed as a run or scanned one by one', async () => {
    // Pieces of one byte never hold a whole row: every row is scanned. Larger pieces have their
    // whole rows parsed together, unless something in them needs the scan.
    const outcome = (text: string, size: number) => rowsOf(text, size).catch((e: Error) => e.message);
    let seed = 11;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const strings = ['plain', 'brace } inside', '"quoted"', 'back\\slash\\', '}]', 'é\u{1F600}', '\\"}', ''];
    const value = (): unknown => {
      const kind = rand(7);
      if (kind === 0) return rand(1000);
      if (kind === 1) return null;
      if (kind === 2) return rand(2) === 0;
      if (kind === 3 && rand(4) === 0) return [rand(5), { x: '}' }];
      return strings[rand(strings.length)];
    };
    const row = () => Object.fromEntries(Array.from({ length: rand(5) }, (_, i) => [`k${i}`, value()]));
    const defects = [',', '{"a":tru}', '5', '[1]', '{"a":"raw\nline"}', `{"a":${'['.repeat(70)}${']'.repeat(70)}}`, ' ] ', '{"a":1} {"b":2}', 'x', '{"a":1}}'];
    for (let n = 0; n < 60; n++) {
      const items = Array.from({ length: 1 + rand(150) }, () => JSON.stringify(row()));
      if (n % 2 === 1) items.splice(rand(items.length), 0, defects[(n >> 1) % defects.length]);
      const text = `[\n  ${items.join(rand(2) ? ',\n  ' : ',')}\n]\n`;
      const scanned = await outcome(text, 1);
      if (n % 2 === 0) assert.deepEqual(scanned, JSON.parse(text));
      else assert.equal(typeof scanned, 'string', text);
      for (const size of [5, 777, 1024 * 1024]) assert.deepEqual(await outcome(text, size), scanned, `${size}: ${text}`);
    }
  });

  it('yields nothing for null and []', async () => {
    assert.deepEqual(await rowsOf('null\n'), []);
    assert.deepEqual(await rowsOf(' [ ] '), []);
  });

  const bad: [string, string][] = [
    ['', 'is empty'],
    ['{"id":1}', 'is not a JSON array of rows'],
    ['[1]', 'row [0] is not an object (found a number)'],
    ['[{"a":1},[2]]', 'row [1] is not an object (found an array)'],
    ['[{"a":1},]', 'trailing comma after row [0]'],
    ['[{"a":1} {"b":2}]', 'expected "," or "]" after row [0]'],
    ['[{"a":1}', 'ends before its JSON array is closed (after 1 rows)'],
    ['[{"a":tru}]', 'row [0] is not valid JSON'],
    ['[{"a":1}] x', 'unexpected data after the JSON array'],
    ['nul', 'is not valid JSON'],
    [`[${'['.repeat(100)}`, 'row [0] is not an object'],
    [`[{"a":${'['.repeat(100)}`, 'nested more than 64 levels'],
  ];
  for (const [text, fragment] of bad) {
    it(`refuses ${JSON.stringify(text.slice(0, 20))}: ${fragment}`, async () => {
      await assert.rejects(rowsOf(text), (e: Error) => e.message.includes('database/users.json') && e.message.includes(fragment));
    });
  }

  it('refuses invalid UTF-8 and says where', async () => {
    const bytes = Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]')]);
    await assert.rejects(rowsOf(bytes, 100), /is not valid UTF-8 \(at byte 7\)/);
  });

  it('reads a chunk of a megabyte in pieces: characters split between them stay whole, errors keep their byte', async () => {
    // "é" is two bytes; with the row's prefix, one of them falls on each side of every 64 KiB piece boundary.
    const prefix = '[{"a":"';
    const value = 'x'.repeat(64 * 1024 - prefix.length - 1) + 'é'.repeat(300_000);
    const rows = await rowsOf(`${prefix}${value}"}]`, 1024 * 1024);
    assert.deepEqual(rows, [{ a: value }]);
    const bad = Buffer.concat([Buffer.from(`${prefix}${'x'.repeat(200_000)}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}]')]);
    await assert.rejects(rowsOf(bad, 1024 * 1024), new RegExp(`is not valid UTF-8 \\(at byte ${prefix.length + 200_000}\\)`));
  });

  it('stops at a row larger than the limit without buffering the rest', async () => {
    const small = new TarGzArchiveReader({ maxJsonValueBytes: 1000 });
    async function* endless() {
      yield Buffer.from('[{"a":"');
      for (;;) yield Buffer.alloc(512, 0x61);
    }
    await assert.rejects(async () => {
      for await (const _ of small.rows({ name: 'database/x.json', body: endless() })) void _;
    }, /row \[0\] is larger than the limit/);
  });
});
