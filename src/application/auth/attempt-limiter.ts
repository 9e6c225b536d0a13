import type { AttemptCounterStore } from '../ports/attempt-counter-store.port';
import type { Clock } from '../ports/system.port';

/** At most `limit` attempts of one kind per subject in any window of `windowMs`. */
export interface LimitRule {
  readonly scope: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** A slot taken before the expensive check; given back when the attempt succeeded. */
export interface Reservation {
  release(): Promise<void>;
}

/**
 * Attempt limiting that holds under concurrency and across replicas: the slot is taken in the
 * database before any password or key is checked (one atomic increment, each caller sees its own
 * count), so N parallel attempts can never all pass a check that ran before any of them counted.
 * The window slides: the previous window's count weighs in by the part of it still inside the
 * window. Refused attempts give their slot back, so a flood does not extend the lock-out beyond
 * one window after it stops; failures keep theirs.
 */
export class AttemptLimiter {
  private purgedBefore = 0;

  constructor(
    private readonly store: AttemptCounterStore,
    private readonly clock: Clock,
  ) {}

  /** A reservation, or null when the subject is over the limit (nothing is kept then). */
  async reserve(rule: LimitRule, subject: string): Promise<Reservation | null> {
    const now = this.clock.now().getTime();
    const windowStart = now - (now % rule.windowMs);
    const counter = { scope: rule.scope, subject, windowStart };
    const count = await this.store.increment(counter);
    let allowed = count <= rule.limit;
    if (allowed) {
      const previous = await this.store.read({ ...counter, windowStart: windowStart - rule.windowMs });
      const stillInside = 1 - (now - windowStart) / rule.windowMs;
      // Rounded up: rounded down, the previous window's full count read one less the moment a
      // window began (10 × 0.9999…), and one more attempt got through a lock-out at each boundary.
      allowed = count + Math.ceil(previous * stillInside) <= rule.limit;
    }
    await this.purge(windowStart - rule.windowMs);
    if (!allowed) {
      await this.store.decrement(counter);
      return null;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.store.decrement(counter);
      },
    };
  }

  /** Counters older than the previous window are dead weight: dropped once per new window. */
  private async purge(before: number): Promise<void> {
    if (before <= this.purgedBefore) return;
    this.purgedBefore = before;
    await this.store.purgeBefore(before);
  }
}
