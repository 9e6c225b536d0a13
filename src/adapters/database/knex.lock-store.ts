import type { Knex } from '@mikro-orm/knex';
import { createHash } from 'node:crypto';
import type { LockHolder, LockInfo, LockStore } from '../../application/ports/lock-store.port';
import type { Engine } from './engine';
import { guarded } from './driver-errors';
import type { WriterSlot } from './writer-slot';

const TABLE = 'aviary_service_locks';

/**
 * Leases in `aviary_service_locks`: taken by one conditional INSERT or UPDATE, never read-then-write.
 * The holder's fields have their own columns (migration 0007); `holder` keeps a digest of them,
 * only so that "is it still mine" stays one equality in those statements. Nothing reads it back.
 */
export class KnexLockStore implements LockStore {
  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
    /** On single-writer engines: renewals during this process's own write transaction go inside it. */
    private readonly writer?: WriterSlot,
  ) {}

  async acquire(name: string, holder: LockHolder, ttlMs: number, purpose: string): Promise<boolean> {
    const now = Date.now();
    const held = { ...holderColumns(holder), purpose, acquired_at: now, expires_at: now + ttlMs };
    await this.run(() => this.knex(TABLE).insert({ name, ...held }).onConflict('name').ignore());
    // Ours if we just inserted it, re-take our own, or take over an expired lease: one statement.
    const changed = await this.run(() =>
      this.knex(TABLE)
        .where({ name })
        .andWhere((q) => q.where('expires_at', '<', now).orWhere({ holder: holderKey(holder) }))
        .update(held),
    );
    return changed === 1;
  }

  async renew(name: string, holder: LockHolder, ttlMs: number): Promise<boolean> {
    const trx = this.writer?.transaction;
    const update = (db: Knex) => db(TABLE).where({ name, holder: holderKey(holder) }).update({ expires_at: Date.now() + ttlMs });
    if (trx) {
      // Renewed inside the open transaction; written again once it ends, in case it rolls back.
      this.writer!.afterEnd(`${name}\u0000${holderKey(holder)}`, () => this.run(() => update(this.knex)));
      return (await this.run(() => update(trx))) === 1;
    }
    return (await this.run(() => update(this.knex))) === 1;
  }

  async release(name: string, holder: LockHolder): Promise<void> {
    await this.run(() => this.knex(TABLE).where({ name, holder: holderKey(holder) }).delete());
  }

  async current(name: string): Promise<LockInfo | null> {
    const row = await this.run(() => this.knex(TABLE).where({ name }).andWhere('expires_at', '>=', Date.now()).first());
    if (!row) return null;
    return {
      holder: holderOf(row),
      purpose: row.purpose,
      acquiredAt: new Date(Number(row.acquired_at)),
      expiresAt: new Date(Number(row.expires_at)),
    };
  }

  private run<T>(work: () => PromiseLike<T>): Promise<T> {
    return guarded(this.engine, work, 'service locks');
  }
}

function holderKey(holder: LockHolder): string {
  const { host, pid, nonce } = holder.process;
  return createHash('sha256').update(JSON.stringify([host, pid, nonce, holder.role, holder.runId ?? null])).digest('hex');
}

function holderColumns(holder: LockHolder) {
  return {
    holder: holderKey(holder),
    holder_host: holder.process.host,
    holder_pid: holder.process.pid,
    holder_nonce: holder.process.nonce,
    holder_role: holder.role,
    holder_run_id: holder.runId ?? null,
  };
}

/**
 * Undefined for a row an older version wrote: it sets `holder` only, so the columns are empty or
 * still name an earlier holder (the digest then disagrees). Such a lease is never judged; it expires.
 */
function holderOf(row: Record<string, unknown>): LockHolder | undefined {
  if (row.holder_role == null || row.holder_host == null || row.holder_pid == null || row.holder_nonce == null) return undefined;
  const process = { host: String(row.holder_host), pid: Number(row.holder_pid), nonce: String(row.holder_nonce) };
  const role = String(row.holder_role);
  const holder: LockHolder = row.holder_run_id == null ? { process, role } : { process, role, runId: String(row.holder_run_id) };
  return holderKey(holder) === row.holder ? holder : undefined;
}
