/**
 * A strict reader for PAX extended-header records (`"<len> <key>=<value>\n"`). node-tar's own
 * `Pax.parse` drops malformed records and cuts values at a NUL, which would let a hostile archive
 * show one name here and another to GNU tar; here any irregularity is an error.
 */
export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parsePaxRecords(body: Buffer): PaxRecords | string {
  const out: PaxRecords = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0 && body.subarray(pos).every((b) => b === 0)) break; // NUL padding
    const space = body.indexOf(0x20, pos);
    const digits = space < 0 ? '' : body.toString('latin1', pos, space);
    if (!/^[1-9]\d{0,8}$/.test(digits)) return `malformed PAX record at offset ${pos}`;
    const end = pos + Number(digits);
    if (end > body.length || body[end - 1] !== 0x0a) return `malformed PAX record at offset ${pos} (bad length)`;
    const record = body.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) return `malformed PAX record at offset ${pos} (no key)`;
    const key = record.toString('latin1', 0, eq);
    let value: string;
    try {
      value = utf8.decode(record.subarray(eq + 1));
    } catch {
      return `PAX record "${key}" is not valid UTF-8`;
    }
    const problem = apply(out, key, value);
    if (problem) return problem;
    pos = end;
  }
  return out;
}

function apply(out: PaxRecords, key: string, value: string): string | undefined {
  if (key === 'path') out.path = value;
  else if (key === 'linkpath') out.linkpath = value;
  else if (key === 'size') {
    if (!/^\d{1,15}$/.test(value)) return `PAX size "${value}" is not a byte count`;
    out.size = Number(value);
  } else if (key.startsWith('GNU.sparse.')) return 'sparse files are not supported';
  return undefined;
}

/** GNU `L`/`K` bodies: the name followed by NUL padding. */
export function gnuLongName(body: Buffer): string {
  let end = body.length;
  while (end > 0 && body[end - 1] === 0) end--;
  return body.toString('utf8', 0, end);
}
