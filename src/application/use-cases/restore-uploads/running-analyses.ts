import type { BackupAnalysis } from '../../../domain/archive/backup-analysis';

interface Run {
  readonly controller: AbortController;
  readonly promise: Promise<BackupAnalysis>;
}

/**
 * Analyses running in this process, by upload id: a second request for the same upload joins the
 * running one, and deleting or expiring an upload aborts it. Shared by the upload use cases.
 */
export class RunningAnalyses {
  private readonly runs = new Map<string, Run>();

  has(uploadId: string): boolean {
    return this.runs.has(uploadId);
  }

  /** The running analysis of the upload, or a new one started with `work`. */
  joinOrStart(uploadId: string, work: (signal: AbortSignal) => Promise<BackupAnalysis>): Promise<BackupAnalysis> {
    const running = this.runs.get(uploadId);
    if (running) return running.promise;
    const controller = new AbortController();
    const promise = work(controller.signal).finally(() => {
      if (this.runs.get(uploadId)?.promise === promise) this.runs.delete(uploadId);
    });
    this.runs.set(uploadId, { controller, promise });
    return promise;
  }

  /** Aborts the upload's analysis, if one runs here, and waits until it has stopped. */
  async cancel(uploadId: string, reason: Error): Promise<void> {
    const run = this.runs.get(uploadId);
    if (!run) return;
    run.controller.abort(reason);
    await run.promise.catch(() => undefined);
  }

  async cancelAll(reason: Error): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.cancel(id, reason)));
  }
}
