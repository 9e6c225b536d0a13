import type { BlobStore, ByteStream, PutOptions } from '../../ports/blob-store.port';

/**
 * Puts whose body is handed over at once but whose ending (flush, rename, the last S3 part and the
 * upload's completion) overlaps the next entries: an archive entry's body is readable only while
 * its handler runs, so `put` returns once the body has been read to its end, and at most `limit`
 * puts finish in the background. The first failure is kept and rethrown by the next call.
 */
export class BackgroundPuts {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly blobs: BlobStore,
    private readonly limit: number,
  ) {}

  async put(key: string, body: ByteStream, options: PutOptions): Promise<void> {
    this.throwIfFailed();
    let bodyRead!: () => void;
    const read = new Promise<void>((resolve) => (bodyRead = resolve));
    const watched = (async function* () {
      try {
        yield* body;
      } finally {
        bodyRead();
      }
    })();
    const done: Promise<void> = this.blobs.put(key, watched, options).then(
      () => void this.running.delete(done),
      (error) => {
        this.running.delete(done);
        this.failure ??= { error };
      },
    );
    this.running.add(done);
    // A put that fails before it reads its body ends here too.
    await Promise.race([read, done]);
    this.throwIfFailed();
    while (this.running.size > this.limit) await Promise.race(this.running);
    this.throwIfFailed();
  }

  /** Waits for every put still finishing; rejects with the first failure. */
  async drain(): Promise<void> {
    await this.quiesce();
    this.throwIfFailed();
  }

  /** Waits for every put still finishing, whatever their outcome (before staged keys are removed). */
  async quiesce(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
