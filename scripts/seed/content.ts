import { createCipheriv, createHash } from 'node:crypto';
import { prose, type DocumentKind, COMPRESSIBLE } from './catalogue';
import { Prng } from './prng';

/** Bytes per generated chunk: a file is produced chunk by chunk, never held whole. */
const CHUNK = 256 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

const MAGIC: Record<DocumentKind, Buffer> = {
  pdf: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
  epub: Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>\n'),
  txt: Buffer.alloc(0),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  jpg: Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
};

/**
 * The body of one document: exactly `size` bytes, a function of `label` alone. Incompressible kinds
 * are an AES-CTR keystream (fast and as random as a compressed PDF); text kinds are generated prose.
 */
export async function* documentBody(label: string, kind: DocumentKind, size: number): AsyncGenerator<Buffer> {
  const magic = MAGIC[kind].subarray(0, size);
  let left = size;
  const chunks = COMPRESSIBLE.has(kind) ? textChunks(label) : keystreamChunks(label);
  let first = true;
  for (const chunk of chunks) {
    if (left === 0) return;
    let out = chunk.length > left ? chunk.subarray(0, left) : chunk;
    if (first && magic.length > 0) {
      out = Buffer.from(out); // the keystream chunk may be reused by the cipher: copy before writing into it
      magic.copy(out, 0, 0, Math.min(magic.length, out.length));
    }
    first = false;
    left -= out.length;
    yield out;
  }
}

function* keystreamChunks(label: string): Generator<Buffer> {
  const key = createHash('sha256').update(`content:${label}`).digest();
  const iv = createHash('sha256').update(`iv:${label}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  for (;;) yield cipher.update(ZEROS);
}

function* textChunks(label: string): Generator<Buffer> {
  const rng = new Prng(`text:${label}`);
  for (;;) yield Buffer.from(prose(rng, CHUNK), 'latin1');
}
