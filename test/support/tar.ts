import { gunzipSync } from 'node:zlib';

/** Entry names and bodies of a .tar.gz in archive order (ustar and PAX paths), for tests. */
export function untar(archive: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(archive);
  const out = new Map<string, Buffer>();
  let pax: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0/g, '').trim(), 8);
    const type = String.fromCharCode(header[156]);
    const body = tar.subarray(off + 512, off + 512 + size);
    if (type === 'x') pax = /\d+ path=([^\n]*)\n/.exec(body.toString())?.[1];
    else if (type === '0' || type === '\0') {
      const prefix = header.subarray(345, 500).toString().replace(/\0.*$/s, '');
      const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
      out.set(pax ?? (prefix ? `${prefix}/${name}` : name), Buffer.from(body));
      pax = undefined;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
