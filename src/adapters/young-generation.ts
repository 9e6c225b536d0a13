import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's `gc`: `{ type: 'minor' }` collects the young generation, a call without arguments the whole
 * heap. Node 20's V8 knows no other option: `{ type: 'major' }` is read as the legacy `gc(true)`,
 * a minor collection.
 */
type Collector = (options?: { type: 'minor' }) => void;

let collector: Collector | null | undefined;

function gc(): Collector | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as Collector;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/**
 * Buffer memory (`process.memoryUsage().arrayBuffers`) allowed above the lowest seen since the last
 * full collection before another one is taken. Some streamed chunks are still alive at two young
 * collections (a read in flight, lines queued for the spool's file or for SQLite) and die in the
 * old generation, which V8 collects only when its external memory grew by 64 MB: a server restore
 * of 1.59M rows held up to 40–63 MB of dead chunks by the end of its read pass and peaked at
 * 176–244 MB (174–186 MB with 16 MB here). Archives that list keys in random order (validation
 * then keeps them in many small growing arrays) brought it back to 195–199 MB; 8 MB: 191–192 MB.
 * A full collection of this small heap takes 2–35 ms; a CLI restore of those rows takes a few
 * dozen, well under half a second in all.
 */
const DEAD_BUFFERS_BYTES = 8 * 1024 * 1024;
/** The base of the check: the least buffer memory seen since the last full collection. */
let buffersBase: number | undefined;

/**
 * Collects V8's young generation, where streamed chunks (database pages, deflate and inflate
 * output, file reads, upload parts) die. Paths that stream bytes allocate little else on the JS
 * heap, so V8 collected those buffers only every few tens of MB of external memory, and the
 * process's peak RSS held that much dead buffer memory. A minor collection of a small young
 * generation takes well under a millisecond. With `reclaimOld`, a full one is taken too when
 * buffer memory grew by `DEAD_BUFFERS_BYTES` (each promotes the chunks alive at that moment, so they
 * are not taken at every step). The `gc` function is exposed at run time (the processes are
 * started without --expose-gc); where that is not possible, nothing is collected early.
 */
function collectYoung(reclaimOld: boolean): void {
  const collect = gc();
  if (!collect) return;
  collect({ type: 'minor' });
  if (!reclaimOld) return;
  const buffers = process.memoryUsage().arrayBuffers;
  buffersBase = Math.min(buffersBase ?? buffers, buffers);
  if (buffers - buffersBase < DEAD_BUFFERS_BYTES) return;
  collect();
  // V8 frees the dead buffers' memory after the collection, on another thread: the next checks lower the base.
  buffersBase = process.memoryUsage().arrayBuffers;
}

/** Bytes streamed between two collections. */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

export interface YoungCollectorOptions {
  /**
   * Take a full collection when buffer memory grew by `DEAD_BUFFERS_BYTES`: for streams whose chunks
   * wait long enough to die in the old generation (rows queued for the spool's file or for SQLite,
   * table files staged by a backup). Not for streams of documents: a forced full collection set V8
   * marking the old generation again every ~40 ms for a while after it (dozens of incremental
   * marks a second with 20 MB of heap, none of it freeing anything), and a files restore of 954 MiB
   * took 5.5-6.3 s instead of 3.2-3.4 s, at the same peak RSS.
   */
  readonly reclaimOld: boolean;
}

/** Counts streamed bytes and collects the young generation every `COLLECT_EVERY_BYTES`. */
export class YoungCollector {
  private since = 0;
  private readonly reclaimOld: boolean;

  constructor(options: YoungCollectorOptions) {
    this.reclaimOld = options.reclaimOld;
  }

  passed(bytes: number): void {
    if ((this.since += bytes) < COLLECT_EVERY_BYTES) return;
    this.since = 0;
    collectYoung(this.reclaimOld);
  }
}
