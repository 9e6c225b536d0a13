import { readFileSync } from 'node:fs';

/**
 * This process's peak RSS in KiB: VmHWM, the high-water mark of its own address space. getrusage's
 * maxRSS survives exec on Linux, so a child forked from a large bench process would report at least
 * the parent's RSS at the fork.
 */
export function peakRssKb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux: getrusage below
  }
  return process.resourceUsage().maxRSS;
}
