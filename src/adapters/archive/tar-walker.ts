import { Header } from 'tar';
import { archiveInvalid, archiveLimit, quoteName } from './archive-error';
import type { ByteCursor } from './byte-cursor';
import { normaliseName } from './entry-name';
import { gnuLongName, parsePaxRecords, type PaxRecords } from './pax-records';
import { TarBody } from './tar-body';

export interface TarEntryHead {
  /** Normalised and checked safe; '' for the archive root directory. */
  readonly name: string;
  readonly type: 'file' | 'directory';
  readonly size: number;
}

export interface TarWalkOptions {
  readonly maxEntries: number;
  /** Largest PAX or GNU long-name body. */
  readonly maxMetaBytes?: number;
}

const BLOCK = 512;
const ZEROS = Buffer.alloc(64 * 1024);
const FORBIDDEN: Record<string, string> = {
  '1': 'hard link', '2': 'symbolic link', '3': 'character device', '4': 'block device', '6': 'FIFO',
};

function isZero(buf: Buffer): boolean {
  for (let off = 0; off < buf.length; off += ZEROS.length) {
    const part = buf.subarray(off, off + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/** The size field as written (node-tar zeroes it for directories); octal or GNU base-256. */
function rawSize(block: Buffer): number | undefined {
  const field = block.subarray(124, 136);
  if (field[0] & 0x80) {
    if (field[0] === 0xff) return undefined; // negative
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** node-tar's decoder throws on numbers (GNU base-256 sizes, times, ids) beyond 2^53: that is the archive's fault. */
function decodeHeader(block: Buffer, at: number): Header {
  try {
    return new Header(block, 0);
  } catch (error) {
    throw archiveInvalid(undefined, `unreadable tar header at byte ${at}: ${(error as Error).message}`);
  }
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/** PAX (`x`, `g`) and GNU long-name (`L`, `K`) headers: what they say about the next entry. */
class ExtensionHeaders {
  private pax: PaxRecords = {};
  private longName: string | undefined;
  /** Extension headers since the last entry (a long chain is refused). */
  chain = 0;

  constructor(private readonly maxBytes: number) {}

  static isExtension(flag: string): boolean {
    return flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g';
  }

  async read(cursor: ByteCursor, flag: string, size: number, shownName: string | undefined, at: number): Promise<void> {
    if (++this.chain > 4) throw archiveInvalid(shownName, `more than 4 extension headers in a row at byte ${at}`);
    if (size > this.maxBytes) throw archiveLimit(shownName, `extension header of ${size} bytes is too large`, 'maxMetaBytes');
    const data = await cursor.readExact(size + padding(size));
    if (data === null || data.length < size + padding(size)) throw archiveInvalid(shownName, 'truncated inside an extension header');
    const body = data.subarray(0, size);
    if (flag === 'L') this.longName = gnuLongName(body);
    else if (flag === 'K') return; // a long link target: the link itself is refused with its entry
    else {
      const parsed = parsePaxRecords(body);
      if (typeof parsed === 'string') throw archiveInvalid(shownName, parsed);
      if (flag === 'x') this.pax = { ...this.pax, ...parsed };
      else if (parsed.path !== undefined || parsed.size !== undefined || parsed.linkpath !== undefined) {
        throw archiveInvalid(shownName, 'a global PAX header sets path, size or linkpath');
      }
    }
  }

  /** The entry header's fields with the extensions applied; the extensions are used up. */
  apply(header: Header, size: number): { rawName: string; size: number; linkTarget: string | undefined } {
    const applied = { rawName: this.pax.path ?? this.longName ?? header.path ?? '', size: this.pax.size ?? size, linkTarget: this.pax.linkpath ?? header.linkpath };
    this.pax = {};
    this.longName = undefined;
    this.chain = 0;
    return applied;
  }
}

/** A file or directory entry's header, checked: safe name, allowed type, no data on a directory. */
function entryHead(flag: string, fields: { rawName: string; size: number; linkTarget: string | undefined }): TarEntryHead {
  const { rawName, size, linkTarget } = fields;
  const checked = normaliseName(rawName);
  if (!checked.ok) throw archiveInvalid(rawName, checked.reason);
  const name = checked.name;
  if (FORBIDDEN[flag]) throw archiveInvalid(name, `${FORBIDDEN[flag]}${linkTarget ? ` (to ${quoteName(linkTarget)})` : ''} is not allowed`);
  const isDir = flag === '5' || ((flag === '0' || flag === '') && rawName.endsWith('/'));
  if (!isDir && flag !== '0' && flag !== '' && flag !== '7') throw archiveInvalid(name, `unsupported tar entry type "${flag}"`);
  if (isDir && size !== 0) throw archiveInvalid(name, `directory entry carries ${size} bytes of data`);
  if (!isDir && name === '') throw archiveInvalid(rawName, 'a file entry names the archive root');
  return { name, type: isDir ? 'directory' : 'file', size };
}

/** The header block at `at`: null at the first zero block (the end marker begins). */
async function headerBlock(cursor: ByteCursor, at: number, last: string | undefined): Promise<Buffer | null> {
  const block = await cursor.readExact(BLOCK);
  if (block === null) {
    throw archiveInvalid(undefined, `the tar end-of-archive marker is missing${last === undefined ? '' : ` (the archive stops after ${quoteName(last)})`}`);
  }
  if (block.length < BLOCK) throw archiveInvalid(undefined, `the tar stream is truncated inside a header at byte ${at}`);
  return isZero(block) ? null : block;
}

/** Hands the entry's body to `visit`, which must read all of it, then skips the padding. */
async function visitEntry(cursor: ByteCursor, head: TarEntryHead, visit: (head: TarEntryHead, body: TarBody) => Promise<void>): Promise<void> {
  const body = new TarBody(cursor, head.name, head.size);
  await visit(head, body);
  if (body.remaining !== 0) throw new Error(`walkTar: visitor left ${body.remaining} bytes of ${head.name} unread`);
  if ((await cursor.skip(padding(head.size))) > 0) {
    throw archiveInvalid(head.name, 'truncated: the archive ends inside the padding after this entry');
  }
}

/**
 * Walks a tar stream block by block with node-tar's `Header` decoding each header, and calls
 * `visit` for every file and directory. `visit` must read the body to its end. Refuses links,
 * devices, FIFOs, unknown types and unsafe names; requires the two-zero-block end marker and
 * nothing but zeros after it. Returns the number of entries.
 */
export async function walkTar(
  cursor: ByteCursor,
  options: TarWalkOptions,
  visit: (head: TarEntryHead, body: TarBody) => Promise<void>,
): Promise<number> {
  const extensions = new ExtensionHeaders(options.maxMetaBytes ?? 1024 * 1024);
  let entries = 0;
  let last: string | undefined;
  for (;;) {
    const at = cursor.position;
    const block = await headerBlock(cursor, at, last);
    if (block === null) return finish(cursor, at, entries);
    const header = decodeHeader(block, at);
    const shownName = header.path || undefined;
    if (!header.cksumValid) {
      throw entries === 0 && extensions.chain === 0
        ? archiveInvalid(undefined, 'not a tar archive (the first 512-byte header is not a valid tar header)')
        : archiveInvalid(shownName, `tar header checksum mismatch at byte ${at}`);
    }
    const flag = String.fromCharCode(block[156]).replace('\0', '');
    const size = rawSize(block);
    if (size === undefined) throw archiveInvalid(shownName, `unreadable size field in the tar header at byte ${at}`);
    if (ExtensionHeaders.isExtension(flag)) {
      await extensions.read(cursor, flag, size, shownName, at);
      continue;
    }
    const head = entryHead(flag, extensions.apply(header, size));
    if (++entries > options.maxEntries) throw archiveLimit(head.name, `the archive has more than ${options.maxEntries} entries`, 'maxEntries');
    last = head.name;
    await visitEntry(cursor, head, visit);
  }
}

/** After the first zero block: a second one, then nothing but zeros (GNU tar pads to 10 KiB). */
async function finish(cursor: ByteCursor, at: number, entries: number): Promise<number> {
  const second = await cursor.readExact(BLOCK);
  if (second === null || second.length < BLOCK) {
    throw archiveInvalid(undefined, 'the tar end-of-archive marker is incomplete (one zero block instead of two)');
  }
  if (!isZero(second)) throw archiveInvalid(undefined, `a lone zero block at byte ${at} in the middle of the tar stream`);
  for (;;) {
    const start = cursor.position;
    const rest = await cursor.readUpTo(1024 * 1024);
    if (rest === null) return entries;
    if (!isZero(rest)) throw archiveInvalid(undefined, `data after the tar end-of-archive marker (near byte ${start})`);
  }
}
