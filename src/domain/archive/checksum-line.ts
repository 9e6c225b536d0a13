/**
 * One line of checksums.sha256 as GNU coreutils `sha256sum` writes and reads it (checked against
 * coreutils 9.1): `<hex>  <name>`; a name holding a backslash, a line feed or a carriage return is
 * escaped (`\\`, `\n`, `\r`) and the line starts with a backslash. Any other character — U+2028,
 * U+2029 included — is written as it is, so `sha256sum -c` on an extracted archive passes.
 */
const NEEDS_ESCAPE = /[\\\n\r]/;
// `s`: a name may hold U+2028/U+2029, which `.` would not match otherwise. ` *` is the binary-mode marker.
const LINE = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/s;

export function checksumLine(sha256: string, name: string): string {
  if (!NEEDS_ESCAPE.test(name)) return `${sha256}  ${name}\n`;
  const escaped = name.replace(/[\\\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'));
  return `\\${sha256}  ${escaped}\n`;
}

export interface ChecksumLine {
  /** Lower-case hex. */
  readonly sha256: string;
  readonly name: string;
}

/** One line (without its line feed); null when it is not a checksum line or its escapes are malformed. */
export function parseChecksumLine(line: string): ChecksumLine | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const [, escaped, hex, raw] = m;
  if (!escaped) return raw.includes('\n') ? null : { sha256: hex.toLowerCase(), name: raw };
  let name = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\n' || c === '\r') return null;
    if (c !== '\\') {
      name += c;
      continue;
    }
    const next = raw[++i];
    if (next === '\\') name += '\\';
    else if (next === 'n') name += '\n';
    else if (next === 'r') name += '\r';
    else return null;
  }
  return { sha256: hex.toLowerCase(), name };
}
