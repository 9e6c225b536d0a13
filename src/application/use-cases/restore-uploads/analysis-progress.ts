import type { RestoreUploadStore } from '../../ports/restore-upload-store.port';
import type { Clock, Logger } from '../../ports/system.port';

/** How often a running analysis proves it is alive; one silent for STALE_ANALYSIS_MS is dead. */
export const HEARTBEAT_MS = 10_000;
export const STALE_ANALYSIS_MS = 60_000;
const MIN_WRITE_INTERVAL_MS = 500;

/**
 * Writes an analysis's progress to its upload row, at most every MIN_WRITE_INTERVAL_MS and at
 * least every HEARTBEAT_MS, one write at a time and in order. Progress stays below 100 until the
 * result is stored. Write failures are logged, never thrown: progress is advisory.
 */
export class AnalysisProgress {
  private percent = 0;
  private written = -1;
  private lastWriteAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly uploads: RestoreUploadStore,
    private readonly uploadId: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.write(), HEARTBEAT_MS);
    this.timer.unref?.();
  }

  report(percent: number | undefined): void {
    if (percent === undefined) return;
    this.percent = Math.max(0, Math.min(99, Math.floor(percent)));
    if (this.percent !== this.written && Date.now() - this.lastWriteAt >= MIN_WRITE_INTERVAL_MS) this.write();
  }

  /** Stops the heartbeat and waits for writes already queued. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
  }

  private write(): void {
    const progress = this.percent;
    this.written = progress;
    this.lastWriteAt = Date.now();
    this.chain = this.chain
      .then(() => this.uploads.update(this.uploadId, { progress, heartbeatAt: this.clock.now() }, ['analyzing']))
      .then(
        () => undefined,
        (error) => this.logger.warn('could not record analysis progress', { upload_id: this.uploadId, error: String(error) }),
      );
  }
}
