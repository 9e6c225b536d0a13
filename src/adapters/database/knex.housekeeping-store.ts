import type { Knex } from '@mikro-orm/knex';
import type { HousekeepingStore } from '../../application/ports/housekeeping-store.port';
import { loginAttempts, users, userSessions } from '../../domain/schema/aviary-schema';
import type { Engine } from './engine';
import { guarded } from './driver-errors';
import { encodeValue } from './value-codec';

/** Expired-row cleanup in Aviary's tables: one statement per kind of row. */
export class KnexHousekeepingStore implements HousekeepingStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  deleteExpiredSessions(now: Date): Promise<number> {
    return this.run(() => this.before(this.knex(userSessions.name), 'expires_at', now).delete());
  }

  clearExpiredResetTokens(now: Date): Promise<number> {
    return this.run(() =>
      this.before(this.knex(users.name), 'reset_token_expires', now)
        .whereNotNull('reset_token_expires')
        .update({ reset_token: '', reset_token_expires: null, updated_at: this.timeValue(now) }),
    );
  }

  deleteLoginAttemptsBefore(cutoff: Date): Promise<number> {
    return this.run(() => this.before(this.knex(loginAttempts.name), 'attempted_at', cutoff).delete());
  }

  /** `column < at`; SQLite keeps times as text with varying fraction digits, so compare them as times. */
  private before(query: Knex.QueryBuilder, column: string, at: Date): Knex.QueryBuilder {
    if (this.engine.dialect === 'sqlite') return query.whereRaw(`julianday(??) < julianday(?)`, [column, at.toISOString()]);
    const time = users.columns.find((c) => c.name === 'updated_at')!;
    return query.where(column, '<', encodeValue(time, at.toISOString(), this.engine.dialect) as string);
  }

  private timeValue(at: Date): unknown {
    return encodeValue(users.columns.find((c) => c.name === 'updated_at')!, at.toISOString(), this.engine.dialect);
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'cleanup');
  }
}
