import { sameHolder, type LockHolder, type LockInfo, type LockStore } from '../../src/application/ports/lock-store.port';

/** A holder on another host (so never judged dead here), for tests that hold the lock themselves. */
export function otherHolder(role: string, host = 'another-host'): LockHolder {
  return { process: { host, pid: 1, nonce: 'abcd' }, role };
}

/** Leases in a Map, with the semantics of KnexLockStore (re-take by the same holder, expiry by time). */
export class InMemoryLockStore implements LockStore {
  readonly leases = new Map<string, LockInfo>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async acquire(name: string, holder: LockHolder, ttlMs: number, purpose: string): Promise<boolean> {
    const current = this.leases.get(name);
    if (current && !this.heldBy(current, holder) && current.expiresAt.getTime() >= this.now()) return false;
    this.leases.set(name, { holder, purpose, acquiredAt: new Date(this.now()), expiresAt: new Date(this.now() + ttlMs) });
    return true;
  }
  async renew(name: string, holder: LockHolder, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(name);
    if (!current || !this.heldBy(current, holder)) return false;
    this.leases.set(name, { ...current, expiresAt: new Date(this.now() + ttlMs) });
    return true;
  }
  async release(name: string, holder: LockHolder): Promise<void> {
    const current = this.leases.get(name);
    if (current && this.heldBy(current, holder)) this.leases.delete(name);
  }
  async current(name: string): Promise<LockInfo | null> {
    const current = this.leases.get(name);
    return current && current.expiresAt.getTime() >= this.now() ? current : null;
  }
  private heldBy(lease: LockInfo, holder: LockHolder): boolean {
    return lease.holder !== undefined && sameHolder(lease.holder, holder);
  }
}
