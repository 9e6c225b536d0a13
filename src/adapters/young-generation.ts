import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: ((options: { type: 'minor' }) => void) | null | undefined;

/**
 * Collects V8's young generation, where streamed chunks (database pages, deflate and inflate
 * output, file reads, upload parts) die. Paths that stream bytes allocate little else on the JS
 * heap, so V8 collected those buffers only every few tens of MB of external memory, and the
 * process's peak RSS held that much dead buffer memory. A minor collection of a small young
 * generation takes well under a millisecond. (Forced major collections made it worse: each promotes
 * the chunks alive at that moment.) The `gc` function is exposed at run time (the processes are
 * started without --expose-gc); where that is not possible, nothing is collected early.
 */
function collectYoung(): void {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as typeof collector;
    } catch {
      collector = null;
    }
  }
  collector?.({ type: 'minor' });
}

/** Bytes streamed between two collections. */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

/** Counts streamed bytes and collects the young generation every `COLLECT_EVERY_BYTES`. */
export class YoungCollector {
  private since = 0;

  passed(bytes: number): void {
    if ((this.since += bytes) < COLLECT_EVERY_BYTES) return;
    this.since = 0;
    collectYoung();
  }
}
