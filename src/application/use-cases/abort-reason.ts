/** An abort caused by a lost lease (or a cancelled request) reports its reason, not a bare "AbortError". */
export function unwrapAbort(error: unknown): unknown {
  const e = error as { name?: string; cause?: unknown } | undefined;
  return e?.name === 'AbortError' && e.cause !== undefined ? e.cause : error;
}
