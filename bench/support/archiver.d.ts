// archiver 8 ships no types; the bench uses this much of it.
declare module 'archiver' {
  import type { Transform } from 'node:stream';
  export class TarArchive extends Transform {
    constructor(options?: { gzip?: boolean; gzipOptions?: { level?: number } });
    directory(dirpath: string, destpath: string | false): this;
    finalize(): Promise<void>;
  }
}
