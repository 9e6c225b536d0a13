import type { Logger } from '../../application/ports/system.port';
import type { RunningAnalyses } from '../../application/use-cases/restore-uploads/running-analyses';
import type { BackgroundService } from './background-service';
import { UnavailableError } from '../../domain/errors';

/** Expiry is by the hour; a pass every few minutes keeps storage close to the retention promise. */
export const JANITOR_INTERVAL_MS = 10 * 60_000;

/** One retention pass (expired uploads, old restore runs); safe to run on several replicas at once. */
export interface ExpiryPass {
  execute(): Promise<unknown>;
}

/**
 * Runs the expiry passes (uploads, restore runs) once at start and then every JANITOR_INTERVAL_MS; on stop, waits for a
 * pass in progress and aborts analyses still running in this process. A failed pass is logged and
 * retried at the next tick: it never stops the service.
 */
export class RestoreUploadJanitor implements BackgroundService {
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> = Promise.resolve();

  constructor(
    private readonly passes: readonly ExpiryPass[],
    private readonly running: RunningAnalyses,
    private readonly logger: Logger,
    private readonly intervalMs = JANITOR_INTERVAL_MS,
  ) {}

  async start(): Promise<void> {
    await this.runPass();
    this.timer = setInterval(() => void this.runPass(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
    await this.running.cancelAll(new UnavailableError('service_stopping', 'The service is stopping; analyze the upload again'));
  }

  private runPass(): Promise<void> {
    this.pass = this.pass.then(async () => {
      for (const pass of this.passes) {
        try {
          await pass.execute();
        } catch (error) {
          this.logger.error('restore upload cleanup failed; retrying later', { error: error instanceof Error ? error.message : String(error) });
        }
      }
    });
    return this.pass;
  }
}
