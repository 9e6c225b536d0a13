import type { Knex } from '@mikro-orm/knex';

/**
 * The write transaction this process has open, on engines with one write connection (SQLite).
 * While it is open that connection is taken, so a statement on the main knex waits for the
 * commit, and knex gives up waiting after a minute. Bookkeeping that must go on meanwhile (a
 * lease renewal) runs inside the open transaction instead: no other process can write to the
 * database while it is open, so nothing is raced. What it wrote is undone by a rollback, so
 * `afterEnd` work runs once the transaction has ended, either way, to write it again.
 */
export class WriterSlot {
  private open: Knex.Transaction | undefined;
  private readonly pending = new Map<string, () => Promise<unknown>>();

  /** The open transaction, or undefined (then use the main knex). */
  get transaction(): Knex.Transaction | undefined {
    return this.open;
  }

  async around<T>(trx: Knex.Transaction, work: () => Promise<T>): Promise<T> {
    this.open = trx;
    try {
      return await work();
    } finally {
      this.open = undefined;
    }
  }

  /** Runs `redo` (once per key) after the open transaction ends; the latest registration wins. */
  afterEnd(key: string, redo: () => Promise<unknown>): void {
    this.pending.set(key, redo);
  }

  /** Called once the transaction has committed or rolled back. */
  async ended(): Promise<void> {
    const work = [...this.pending.values()];
    this.pending.clear();
    for (const redo of work) await redo().catch(() => undefined);
  }
}
