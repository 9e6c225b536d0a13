import type { LockInfo, LockStore } from '../../src/application/ports/lock-store.port';

/** Leases in a Map, with the semantics of KnexLockStore (re-take by the same holder, expiry by time). */
export class InMemoryLockStore implements LockStore {
  readonly leases = new Map<string, LockInfo>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async acquire(name: string, holder: string, ttlMs: number, purpose: string): Promise<boolean> {
    const current = this.leases.get(name);
    if (current && current.holder !== holder && current.expiresAt.getTime() >= this.now()) return false;
    this.leases.set(name, { holder, purpose, acquiredAt: new Date(this.now()), expiresAt: new Date(this.now() + ttlMs) });
    return true;
  }
  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(name);
    if (!current || current.holder !== holder) return false;
    this.leases.set(name, { ...current, expiresAt: new Date(this.now() + ttlMs) });
    return true;
  }
  async release(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
  async current(name: string): Promise<LockInfo | null> {
    const current = this.leases.get(name);
    return current && current.expiresAt.getTime() >= this.now() ? current : null;
  }
}
