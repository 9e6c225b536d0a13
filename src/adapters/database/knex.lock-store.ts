import type { Knex } from '@mikro-orm/knex';
import type { LockInfo, LockStore } from '../../application/ports/lock-store.port';
import type { Engine } from './engine';
import { guarded } from './driver-errors';

const TABLE = 'aviary_service_locks';

/** Leases in `aviary_service_locks`: taken by one conditional INSERT or UPDATE, never read-then-write. */
export class KnexLockStore implements LockStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
  ) {}

  async acquire(name: string, holder: string, ttlMs: number, purpose: string): Promise<boolean> {
    const now = Date.now();
    const row = { name, holder, purpose, acquired_at: now, expires_at: now + ttlMs };
    await this.run(() => this.knex(TABLE).insert(row).onConflict('name').ignore());
    // Ours if we just inserted it, re-take our own, or take over an expired lease: one statement.
    const changed = await this.run(() =>
      this.knex(TABLE)
        .where({ name })
        .andWhere((q) => q.where('expires_at', '<', now).orWhere({ holder }))
        .update({ holder, purpose, acquired_at: now, expires_at: now + ttlMs }),
    );
    return changed === 1;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const changed = await this.run(() => this.knex(TABLE).where({ name, holder }).update({ expires_at: Date.now() + ttlMs }));
    return changed === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.run(() => this.knex(TABLE).where({ name, holder }).delete());
  }

  async current(name: string): Promise<LockInfo | null> {
    const row = await this.run(() => this.knex(TABLE).where({ name }).andWhere('expires_at', '>=', Date.now()).first());
    if (!row) return null;
    return {
      holder: row.holder,
      purpose: row.purpose,
      acquiredAt: new Date(Number(row.acquired_at)),
      expiresAt: new Date(Number(row.expires_at)),
    };
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'service locks');
  }
}
