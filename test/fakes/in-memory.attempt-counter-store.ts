import type { AttemptCounter, AttemptCounterStore } from '../../src/application/ports/attempt-counter-store.port';

/** Counters in a Map; each call is one synchronous step, so increments are atomic as in the database. */
export class InMemoryAttemptCounterStore implements AttemptCounterStore {
  readonly counts = new Map<string, number>();

  async increment(c: AttemptCounter): Promise<number> {
    const next = (this.counts.get(key(c)) ?? 0) + 1;
    this.counts.set(key(c), next);
    return next;
  }
  async read(c: AttemptCounter): Promise<number> {
    return this.counts.get(key(c)) ?? 0;
  }
  async decrement(c: AttemptCounter): Promise<void> {
    const n = this.counts.get(key(c)) ?? 0;
    if (n > 0) this.counts.set(key(c), n - 1);
  }
  async purgeBefore(windowStart: number): Promise<number> {
    let removed = 0;
    for (const k of [...this.counts.keys()]) {
      if (Number(k.split('\u0000')[2]) < windowStart) {
        this.counts.delete(k);
        removed++;
      }
    }
    return removed;
  }
}

const key = (c: AttemptCounter) => [c.scope, c.subject, c.windowStart].join('\u0000');
