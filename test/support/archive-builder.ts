/**
 * Builds .tar.gz archives for tests and fixtures: valid ones through our own writer, hostile ones
 * from raw tar blocks (node-tar's Header encodes them; anything it refuses is patched by hand).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';
import { CHECKSUMS_ENTRY, checksumLine } from '../../src/domain/archive/archive-format';
import { DeflatedRun } from '../../src/adapters/archive/deflated-run';
import { parallelGzip } from '../../src/adapters/archive/parallel-gzip';
import { tarStream, type TarEntrySource } from '../../src/adapters/archive/tar-writer';

export const FIXED_MTIME = new Date('2025-08-01T10:30:00Z');
export const BLOCK = 512;
/** The tar end-of-archive marker. */
export const END_MARKER = Buffer.alloc(2 * BLOCK);

export interface SimpleEntry {
  readonly name: string;
  readonly body: string | Uint8Array;
}

const bytes = (body: string | Uint8Array) => (typeof body === 'string' ? Buffer.from(body) : Buffer.from(body));
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A checksums.sha256 entry covering `entries`, in sha256sum format. */
export function checksumsEntry(entries: readonly SimpleEntry[]): SimpleEntry {
  return { name: CHECKSUMS_ENTRY, body: entries.map((e) => checksumLine(sha256(bytes(e.body)), e.name)).join('') };
}

async function collect(stream: AsyncIterable<Uint8Array | DeflatedRun>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) {
    if (part instanceof DeflatedRun) for await (const bytes of part) parts.push(Buffer.from(bytes));
    else parts.push(Buffer.from(part));
  }
  return Buffer.concat(parts);
}

/** The uncompressed tar our writer makes of `entries`. */
export async function ourTar(entries: readonly SimpleEntry[]): Promise<Buffer> {
  async function* sources(): AsyncGenerator<TarEntrySource> {
    for (const e of entries) yield { name: e.name, size: bytes(e.body).length, mtime: FIXED_MTIME, body: bytes(e.body) };
  }
  return collect(tarStream(sources()));
}

/** A .tar.gz written by our writer and our parallel gzip, optionally with a trailing checksums.sha256. */
export async function ourArchive(entries: readonly SimpleEntry[], options: { checksums?: boolean } = {}): Promise<Buffer> {
  const all = options.checksums ? [...entries, checksumsEntry(entries)] : entries;
  return collect(parallelGzip(bufferStream(await ourTar(all)), { blockSize: 256 * 1024 }));
}

export async function* bufferStream(data: Buffer, chunk = 64 * 1024): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += chunk) yield data.subarray(off, off + chunk);
}

export function gzip(tar: Buffer): Buffer {
  return gzipSync(tar, { level: 9 });
}

/** Recomputes a header block's checksum after hand edits. */
export function fixChecksum(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

export type RawHeader = Partial<HeaderData> & { path: string };

/** One 512-byte header; `flag` overrides the type byte, `rawName` writes the name field verbatim. */
export function header(data: RawHeader, patch: { flag?: string; rawName?: Buffer } = {}): Buffer {
  const block = Buffer.alloc(BLOCK);
  new Header({ mode: 0o644, uid: 0, gid: 0, size: 0, mtime: FIXED_MTIME, type: 'File', uname: '', gname: '', ...data }).encode(block);
  if (patch.flag !== undefined) block.write(patch.flag, 156, 'latin1');
  if (patch.rawName) {
    block.fill(0, 0, 100);
    patch.rawName.copy(block, 0, 0, 100);
  }
  return fixChecksum(block);
}

export function pad(data: Buffer): Buffer {
  const extra = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return extra ? Buffer.concat([data, Buffer.alloc(extra)]) : data;
}

/** A regular file: header, body, padding. */
export function fileBlocks(name: string, body: string | Uint8Array, data: Partial<HeaderData> = {}): Buffer {
  const content = bytes(body);
  return Buffer.concat([header({ path: name, size: content.length, ...data }), pad(content)]);
}

export function dirBlocks(name: string): Buffer {
  return header({ path: name, type: 'Directory', mode: 0o755 });
}

/** A PAX extended header carrying the given records: 'x' for the next entry, 'g' for all. */
export function paxBlocks(records: Record<string, string>, flag: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.concat(Object.entries(records).map(([k, v]) => paxRecord(k, v)));
  return Buffer.concat([header({ path: 'PaxHeader/entry', size: body.length }, { flag }), pad(body)]);
}

function paxRecord(key: string, value: string): Buffer {
  const text = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(text) + 1;
  while (String(len).length + Buffer.byteLength(text) !== len) len = String(len).length + Buffer.byteLength(text);
  return Buffer.from(`${len}${text}`);
}

/** A GNU long-name ('L') header naming the next entry. */
export function gnuLongNameBlocks(name: string): Buffer {
  const body = Buffer.concat([Buffer.from(name), Buffer.from([0])]);
  return Buffer.concat([header({ path: '././@LongLink', size: body.length }, { flag: 'L' }), pad(body)]);
}

export function tarOf(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, END_MARKER]);
}
