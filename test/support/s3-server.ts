/**
 * s3rver 3.7.1 as a child process on 127.0.0.1 with its own temp data dir (test/support/s3rver-child.js holds
 * the fixes). `sharedS3Server()` is started once per mocha run; `stop()`/`restart()` simulate an outage on the
 * same port and data. Every server is disposed (process killed, data dir removed) after the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestRunEnd } from './servers';

const CHILD_SCRIPT = join(__dirname, 's3rver-child.js');
const START_TIMEOUT_MS = 15_000;

export interface S3TestServer {
  /** e.g. `http://127.0.0.1:40123`; stays the same across `restart()`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** Creates a bucket (a fresh random name when none is given) and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Kills the process; the port and data dir are kept for `restart()`. Idempotent. */
  stop(): Promise<void>;
  /** Starts the process again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops and removes the data dir (done automatically after the run). */
  dispose(): Promise<void>;
}

export async function startS3Server(): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-s3rver-'));
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async () => {
    ({ child, port } = await launchChild(dir, port));
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (running) await killChild(running);
  };
  await launch().catch(async (error) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const dispose = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  onTestRunEnd(dispose);
  return {
    endpoint,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async createBucket(name = `aviary-test-${randomBytes(5).toString('hex')}`) {
      const response = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!response.ok) throw new Error(`s3rver refused bucket ${name}: ${response.status} ${await response.text()}`);
      return name;
    },
    stop,
    async restart() {
      await stop();
      await launch();
    },
    dispose,
  };
}

let shared: Promise<S3TestServer> | undefined;

/** One server for the whole mocha run, started on first use. Give each suite its own bucket. */
export function sharedS3Server(): Promise<S3TestServer> {
  shared ??= startS3Server();
  shared.catch(() => { shared = undefined; });
  return shared;
}

/**
 * Spawns the child with the OpenSSL legacy provider and waits for its `{"port":N}` line. Port 0 picks a free
 * port; a fixed port is retried briefly (it may still be held just after a kill).
 */
async function launchChild(dir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(dir, port);
    } catch (error) {
      if (port === 0 || attempt >= 10 || !/EADDRINUSE/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function spawnOnce(dir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', CHILD_SCRIPT, '--port', String(port), '--dir', dir, '--exit-with-stdin'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`s3rver child ${why}${stderr ? `: ${stderr.trim().slice(-2000)}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stderr!.on('data', (data: Buffer) => { stderr = (stderr + data.toString()).slice(-4000); });
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    child.once('exit', (code, signal) => fail(`exited before it was ready (code ${code}, signal ${signal})`));
    child.stdout!.on('data', function onData(data: Buffer) {
      stdout += data.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // keep draining so the child never blocks on a full pipe
      resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    });
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
