import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** tmpfs when there is one: disk timings on these machines drift up to 5× between runs. */
export function benchTmpRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

const TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(TIME);

export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));
}

export interface Measured {
  readonly wallMs: number;
  /** Peak resident set of the process, from GNU time; undefined without /usr/bin/time. */
  readonly maxRssKb?: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (under GNU time when present); rejects on a non-zero exit. */
export async function runMeasured(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Measured> {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const timeFile = join(scratch, 'time');
  const [cmd, argv] = hasGnuTime ? [TIME, ['-o', timeFile, '-f', '%M', command, ...args]] : [command, [...args]];
  const started = performance.now();
  try {
    const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
    const wallMs = performance.now() - started;
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
    const rss = hasGnuTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : NaN;
    return { wallMs, maxRssKb: Number.isFinite(rss) ? rss : undefined, stdout, stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
