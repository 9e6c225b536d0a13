import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Identifies this process incarnation: host, pid and a nonce (a restarted container reuses pid 1). */
export const PROCESS_TAG = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/**
 * True only when the tagged process certainly no longer runs: it lived on this host and its pid
 * is gone, or its pid is ours but from an earlier incarnation. Tags of other hosts are never
 * judged here (their leases expire instead).
 */
export function isDeadLocalProcess(tag: string): boolean {
  const [host, pidText, nonce] = tag.split(':');
  if (host !== hostname() || !/^\d+$/.test(pidText ?? '')) return false;
  const pid = Number(pidText);
  const [, , ourNonce] = PROCESS_TAG.split(':');
  if (pid === process.pid) return nonce !== ourNonce;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
