/** One counter: attempts of one kind (`scope`) by one caller or on one account (`subject`) in one window. */
export interface AttemptCounter {
  readonly scope: string;
  readonly subject: string;
  /** Epoch milliseconds at which the counter's window starts. */
  readonly windowStart: number;
}

/** Counters shared by every process using the database. */
export interface AttemptCounterStore {
  /** Adds one and answers the new value, as one atomic step (concurrent callers get distinct values). */
  increment(counter: AttemptCounter): Promise<number>;
  /** The current value (0 when absent). */
  read(counter: AttemptCounter): Promise<number>;
  /** Takes one back (a reservation that turned out to be a success). */
  decrement(counter: AttemptCounter): Promise<void>;
  /** Removes counters whose window started before `windowStart`; answers how many. */
  purgeBefore(windowStart: number): Promise<number>;
}
