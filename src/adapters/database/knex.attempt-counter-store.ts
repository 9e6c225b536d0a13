import type { Knex } from '@mikro-orm/knex';
import type { AttemptCounter, AttemptCounterStore } from '../../application/ports/attempt-counter-store.port';
import type { Engine } from './engine';
import { guarded } from './driver-errors';

const TABLE = 'aviary_auth_attempts';

/** Counters in `aviary_auth_attempts` (migration 0005); the same SQL on SQLite ≥ 3.35 and PostgreSQL, an upsert on the MySQL family. */
export class KnexAttemptCounterStore implements AttemptCounterStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async increment(c: AttemptCounter): Promise<number> {
    if (this.engine.dialect === 'mysql') return this.incrementWithoutReturning(c);
    const result = await this.run(() =>
      this.knex.raw(
        `insert into "${TABLE}" ("scope", "subject", "window_start", "count") values (?, ?, ?, 1)
         on conflict ("scope", "subject", "window_start") do update set "count" = "${TABLE}"."count" + 1
         returning "count"`,
        [c.scope, c.subject, c.windowStart],
      ),
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { count: unknown }[];
    return Number(rows[0].count);
  }

  /**
   * The MySQL family has no upsert with RETURNING: count up and read in one transaction, whose row
   * lock keeps a concurrent increment waiting until this one has read its value.
   */
  private incrementWithoutReturning(c: AttemptCounter): Promise<number> {
    const key = { scope: c.scope, subject: c.subject, window_start: c.windowStart };
    return this.run(() =>
      this.knex.transaction(async (trx) => {
        await trx(TABLE).insert({ ...key, count: 1 }).onConflict(['scope', 'subject', 'window_start']).merge({ count: trx.raw('"count" + 1') });
        const row = await trx(TABLE).where(key).first('count');
        return Number((row as { count: unknown }).count);
      }),
    );
  }

  async read(c: AttemptCounter): Promise<number> {
    const row = await this.run(() => this.knex(TABLE).where({ scope: c.scope, subject: c.subject, window_start: c.windowStart }).first('count'));
    return row ? Number((row as { count: unknown }).count) : 0;
  }

  async decrement(c: AttemptCounter): Promise<void> {
    await this.run(() =>
      this.knex(TABLE)
        .where({ scope: c.scope, subject: c.subject, window_start: c.windowStart })
        .andWhere('count', '>', 0)
        .update({ count: this.knex.raw('"count" - 1') }),
    );
  }

  async purgeBefore(windowStart: number): Promise<number> {
    return Number(await this.run(() => this.knex(TABLE).where('window_start', '<', windowStart).delete()));
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'attempt counters');
  }
}
