import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Env } from '../../src/plugins/plugin-api';
import { TS_CHILD_ARGS } from './child-node';

const root = join(__dirname, '..', '..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly events: Record<string, unknown>[];
  /** The API's loopback port, when started with SERVICE_PROCESS_HTTP=1. */
  readonly port?: number;
  waitFor(predicate: (e: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts test/e2e/host/service-process.ts with the given environment and waits until it is ready. */
export async function startServiceProcess(env: Env): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...TS_CHILD_ARGS, 'test/e2e/host/service-process.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        events.push(JSON.parse(line));
      } catch {
        // not ours
      }
    }
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Bounds for a hung process, not timings: a loaded machine may take long to start one.
  const waitFor = async (predicate: (e: Record<string, unknown>) => boolean, ms = 240_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = events.find(predicate);
      if (hit) return hit;
      if (child.exitCode !== null) throw new Error(`service process exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const ready = await waitFor((e) => e.message === 'ready');
  return {
    child,
    events,
    port: typeof ready.port === 'number' ? ready.port : undefined,
    waitFor,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
