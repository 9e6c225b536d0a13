import { UnavailableError } from '../../domain/errors';
import type { LockHolder, LockStore } from '../ports/lock-store.port';

export interface LeaseOptions {
  /** Lease length; renewed every third of it. */
  readonly ttlMs: number;
  /** True for a holder whose process is certainly gone (its lease is taken over at once). */
  readonly isDeadHolder?: (holder: LockHolder) => boolean;
  /** Work already cancellable by its caller: aborting it also aborts `signal`. */
  readonly parent?: AbortSignal;
}

/**
 * Holds a named lease for the length of a piece of work (backup, restore, single-user migration).
 * The work must stop when the lease is gone, so `signal` aborts, with an `UnavailableError`
 * (`lock_lost`) as its reason, as soon as a renewal answers that the lease was taken or cannot
 * be renewed at all (database unreachable): after that nothing guarantees that no one else holds it.
 */
export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer?: ReturnType<typeof setInterval>;
  private renewing = false;
  private released = false;

  constructor(
    private readonly locks: LockStore,
    private readonly name: string,
    readonly holder: LockHolder,
    private readonly options: LeaseOptions,
  ) {
    options.parent?.addEventListener('abort', () => this.controller.abort(options.parent!.reason), { once: true });
  }

  /** Aborted when the lease is lost (or the parent signal aborts). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  /** Tries every half second until `waitMs` has passed; true once held (and then kept until `release`). */
  async acquire(purpose: string, waitMs = 0): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (!(await this.take(purpose))) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(1, deadline - Date.now()))));
    }
    this.timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref?.();
    return true;
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    await this.locks.release(this.name, this.holder).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.released || this.lost) return;
    this.renewing = true;
    try {
      const held = await this.locks.renew(this.name, this.holder, this.options.ttlMs).catch(() => false);
      if (!held && !this.released) this.lose();
    } finally {
      this.renewing = false;
    }
  }

  private lose(): void {
    clearInterval(this.timer);
    this.controller.abort(new UnavailableError('lock_lost',
      'The work lost its hold on the backup/restore lock (database unreachable, or the lease expired); it was stopped. Try again.'));
  }

  private async take(purpose: string): Promise<boolean> {
    if (await this.locks.acquire(this.name, this.holder, this.options.ttlMs, purpose)) return true;
    const current = await this.locks.current(this.name);
    if (!current?.holder || !this.options.isDeadHolder?.(current.holder)) return false;
    await this.locks.release(this.name, current.holder);
    return this.locks.acquire(this.name, this.holder, this.options.ttlMs, purpose);
  }
}
