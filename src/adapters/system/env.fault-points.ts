import type { FaultPointName, FaultPoints } from '../../application/ports/fault-points.port';
import { FAULT_POINTS } from '../../application/ports/fault-points.port';
import { UnavailableError } from '../../domain/errors';

/** What production runs: every point passes. */
export const NO_FAULTS: FaultPoints = { reach: async () => undefined };

export type FaultAction = 'throw' | 'kill';

/** Fails at one named point: `throw` rejects as an outage would (`unavailable`, code `fault_injected`); `kill` ends this process with SIGKILL on the spot. */
export class InjectedFaultPoints implements FaultPoints {
  /** Times the point was reached (a fault fires on the `nth` time, default the first). */
  private hits = 0;

  constructor(
    private readonly point: FaultPointName,
    private readonly action: FaultAction,
    private readonly nth = 1,
    private readonly onReach?: (point: FaultPointName) => void,
  ) {}

  async reach(point: FaultPointName): Promise<void> {
    if (point !== this.point || ++this.hits !== this.nth) return;
    this.onReach?.(point);
    if (this.action === 'kill') {
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined); // SIGKILL is delivered before anything else runs
    }
    throw new UnavailableError('fault_injected', `Fault injected at ${point}`);
  }
}

/**
 * `AVIARY_FAULT_POINT=<point>:<throw|kill>[:<nth>]`, honoured only when NODE_ENV is `test`, so a test can end a
 * child service at an exact step. Anything else (or any other NODE_ENV) gives the no-op.
 */
export function faultPointsFromEnv(env: Readonly<Record<string, string | undefined>>): FaultPoints {
  const spec = env.AVIARY_FAULT_POINT;
  if (env.NODE_ENV !== 'test' || !spec) return NO_FAULTS;
  const [point, action, nth] = spec.split(':');
  if (!(FAULT_POINTS as readonly string[]).includes(point) || (action !== 'throw' && action !== 'kill')) {
    throw new Error(`AVIARY_FAULT_POINT=${spec}: expected <point>:<throw|kill>[:<n>] with a point among ${FAULT_POINTS.join(', ')}`);
  }
  // The test waits for this line to know the fault fired (never for a timer).
  const announce = (p: string) => process.stderr.write(`fault point reached: ${p}\n`);
  return new InjectedFaultPoints(point as FaultPointName, action, nth ? Number(nth) : 1, announce);
}
