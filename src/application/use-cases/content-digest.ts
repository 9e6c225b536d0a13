import { createHash, type Hash } from 'node:crypto';
import type { ByteStream } from '../ports/blob-store.port';

/** Size and sha256 of a byte stream, computed while it flows. */
export interface ContentDigest {
  readonly sha256: string;
  readonly size: number;
}

export function sameContent(a: ContentDigest, b: ContentDigest): boolean {
  return a.size === b.size && a.sha256 === b.sha256;
}

/** Passes a stream through unchanged while hashing it; `digest()` is valid once the stream has ended. */
export class DigestingStream {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private result?: ContentDigest;

  constructor(private readonly body: ByteStream) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.body) {
      this.hash.update(chunk);
      this.size += chunk.length;
      yield chunk;
    }
    this.result = { sha256: this.hash.digest('hex'), size: this.size };
  }

  digest(): ContentDigest {
    if (!this.result) throw new Error('DigestingStream: digest() before the stream ended');
    return this.result;
  }
}

/** Reads a whole stream (never holding it) and returns its digest. */
export async function digestOf(body: ByteStream): Promise<ContentDigest> {
  const stream = new DigestingStream(body);
  for await (const _chunk of stream) {
    // consumed for the hash only
  }
  return stream.digest();
}
