import type { ByteStream } from '../../ports/blob-store.port';

/** Marks errors that come out of the archive stream itself (fatal) apart from content problems. */
export class StreamFailure {
  error: unknown;
  private failed = false;

  get happened(): boolean {
    return this.failed;
  }

  /** The body, remembering any error its iteration throws. */
  watch(body: ByteStream): ByteStream {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          yield* body;
        } catch (error) {
          self.failed = true;
          self.error = error;
          throw error;
        }
      },
    };
  }
}

/** A small body (the caller has bounded its size) as strict UTF-8 text. */
export async function readText(body: ByteStream): Promise<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** Lines of a text body, each at most `maxLine` characters (longer lines are an error). */
export async function* lines(body: ByteStream, maxLine: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
    if (pending.length > maxLine) throw new Error(`a line is longer than ${maxLine} characters`);
  }
  pending += decoder.decode();
  if (pending !== '') yield pending;
}
