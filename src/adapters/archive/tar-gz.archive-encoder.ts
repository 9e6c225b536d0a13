import type { ArchiveEncoder, ArchiveSourceEntry, EncodeHooks } from '../../application/ports/archive-encoder.port';
import type { ByteStream } from '../../application/ports/blob-store.port';
import { parallelGzip, ParallelGzipOptions } from './parallel-gzip';
import { tarStream } from './tar-writer';

/** POSIX tar, gzip-compressed on several threads into one standard gzip member. */
export class TarGzArchiveEncoder implements ArchiveEncoder {
  constructor(private readonly gzip: ParallelGzipOptions = {}) {}

  encode(entries: AsyncIterable<ArchiveSourceEntry>, hooks: EncodeHooks = {}): ByteStream {
    return parallelGzip(tarStream(entries, hooks.onEntry), {
      ...this.gzip,
      onProgress: hooks.onBytes,
    });
  }
}
