import type { ArchiveEntryKind } from '../../application/ports/archive-reader.port';
import {
  CHECKSUMS_ENTRY, DATABASE_DIR, DOCUMENTS_DIR, LEGACY_CONFIGS_DIR, METADATA_ENTRY,
} from '../../domain/archive/archive-format';
import { tableDef } from '../../domain/schema/aviary-schema';

// NAME_MAX and PATH_MAX of Linux filesystems: a longer name could pass analysis and fail at restore.
const MAX_SEGMENT_BYTES = 255;
const MAX_NAME_BYTES = 4096;

export type NameCheck = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

/**
 * docs/archive-format.md name safety, applied to the name a tar reader would act on (after PAX and GNU long-name
 * overrides): strips a leading `./` and a trailing `/`; refuses NUL, backslash, absolute names,
 * drive letters and empty, `.` or `..` segments. `''` is the archive root (a `./` directory).
 */
export function normaliseName(raw: string): NameCheck {
  if (raw.includes('\0')) return { ok: false, reason: 'the name contains a NUL byte' };
  if (raw.includes('\\')) return { ok: false, reason: 'the name contains a backslash' };
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  if (name === '.') name = '';
  if (name.startsWith('/')) return { ok: false, reason: 'the name is absolute' };
  if (/^[A-Za-z]:/.test(name)) return { ok: false, reason: 'the name starts with a drive letter' };
  name = name.replace(/\/+$/, '');
  if (name === '') return { ok: true, name };
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return { ok: false, reason: `the name is longer than ${MAX_NAME_BYTES} bytes` };
  for (const segment of name.split('/')) {
    if (segment === '') return { ok: false, reason: 'the name has an empty segment' };
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return { ok: false, reason: `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes (no filesystem stores it)` };
    }
    if (segment === '.') return { ok: false, reason: 'the name has a "." segment' };
    if (segment === '..') return { ok: false, reason: 'the name has a ".." segment (path traversal)' };
  }
  return { ok: true, name };
}

export interface Classified {
  readonly kind: ArchiveEntryKind;
  readonly table?: string;
  readonly userId?: string;
  readonly relativePath?: string;
  readonly reason?: string;
}

const ignored = (reason: string): Classified => ({ kind: 'ignored', reason });

/** What a (normalised, safe) file name means in an Aviary archive (docs/archive-format.md). */
export function classifyName(name: string): Classified {
  const segments = name.split('/');
  const base = segments[segments.length - 1];
  if (segments[0] === '__MACOSX') return ignored('macOS metadata folder');
  if (base.startsWith('._')) return ignored('macOS AppleDouble file');
  if (name === METADATA_ENTRY) return { kind: 'metadata' };
  if (name === CHECKSUMS_ENTRY) return { kind: 'checksums' };
  if (name.startsWith(DATABASE_DIR)) {
    if (segments.length !== 2 || !base.endsWith('.json')) return ignored('not a table file');
    const table = base.slice(0, -'.json'.length);
    return tableDef(table) ? { kind: 'table', table } : ignored(`unknown table "${table}"`);
  }
  if (name.startsWith(DOCUMENTS_DIR)) {
    if (segments.length < 4) return ignored('not inside a user directory');
    return { kind: 'document', userId: segments[2], relativePath: segments.slice(3).join('/') };
  }
  if (name.startsWith(LEGACY_CONFIGS_DIR)) {
    if (segments.length === 4 && base === 'rmapi.conf') return { kind: 'legacy-config', userId: segments[2] };
    return ignored('not a pairing file');
  }
  return ignored('not part of an Aviary archive');
}
