import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LockHolder, ProcessRef } from '../../application/ports/lock-store.port';

/** This start of the service. */
export const THIS_PROCESS: ProcessRef = Object.freeze({ host: hostname(), pid: process.pid, nonce: randomBytes(4).toString('hex') });

/**
 * This process as text, for logs and the `worker_id` of backup jobs: host, pid and nonce joined by
 * ':'. Only `isDeadWorkerTag` reads it back (jobs written by earlier versions carry the same text).
 */
export const PROCESS_TAG = `${THIS_PROCESS.host}:${THIS_PROCESS.pid}:${THIS_PROCESS.nonce}`;

/** A lock holder for work done by this process. */
export function localHolder(role: string, runId?: string): LockHolder {
  return runId === undefined ? { process: THIS_PROCESS, role } : { process: THIS_PROCESS, role, runId };
}

/**
 * True only when the process certainly no longer runs: it lived on this host and its pid is gone,
 * or its pid is ours but from an earlier start. Processes of other hosts are never judged here
 * (their leases expire instead).
 */
export function isDeadLocalProcess(ref: ProcessRef): boolean {
  if (ref.host !== THIS_PROCESS.host || !Number.isSafeInteger(ref.pid) || ref.pid <= 0) return false;
  if (ref.pid === THIS_PROCESS.pid) return ref.nonce !== THIS_PROCESS.nonce;
  try {
    process.kill(ref.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** For a lease: its holder's process is certainly gone. A holder an older version wrote is never judged. */
export function isDeadHolder(holder: LockHolder | undefined): boolean {
  return holder !== undefined && isDeadLocalProcess(holder.process);
}

/** For a backup job's `worker_id` (a PROCESS_TAG). */
export function isDeadWorkerTag(tag: string): boolean {
  const [host, pidText, nonce] = tag.split(':');
  if (host === undefined || nonce === undefined || !/^\d+$/.test(pidText ?? '')) return false;
  return isDeadLocalProcess({ host, pid: Number(pidText), nonce });
}
