import type { LockStore } from '../../ports/lock-store.port';

/**
 * Holds a named lease for the length of a run: renewed on a timer (a third of its TTL), so a process that
 * dies frees it within one TTL, or at once when `isDeadHolder` can tell it is gone. `lost` turns true when a renewal finds the lease taken or unreachable.
 */
export class LeaseKeeper {
  lost = false;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly locks: LockStore,
    private readonly name: string,
    private readonly holder: string,
    private readonly ttlMs: number,
    /** True for a holder whose process is certainly gone (its lease is taken over at once). */
    private readonly isDeadHolder: (holder: string) => boolean = () => false,
  ) {}

  /** Tries every half second until `waitMs` has passed; true once held. */
  async acquire(purpose: string, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (!(await this.take(purpose))) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(1, deadline - Date.now()))));
    }
    this.timer = setInterval(() => {
      this.locks.renew(this.name, this.holder, this.ttlMs).then(
        (held) => { if (!held) this.lost = true; },
        () => { this.lost = true; },
      );
    }, Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref?.();
    return true;
  }

  private async take(purpose: string): Promise<boolean> {
    if (await this.locks.acquire(this.name, this.holder, this.ttlMs, purpose)) return true;
    const current = await this.locks.current(this.name);
    if (!current || !this.isDeadHolder(current.holder)) return false;
    await this.locks.release(this.name, current.holder);
    return this.locks.acquire(this.name, this.holder, this.ttlMs, purpose);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.locks.release(this.name, this.holder).catch(() => undefined);
  }
}
