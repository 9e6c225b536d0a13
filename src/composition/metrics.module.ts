import { performance } from 'node:perf_hooks';
import type { Container } from 'inversify';
import type { DatabaseBackend } from '../application/ports/database.port';
import { TOKENS } from '../application/ports/tokens';
import { ReceiveRestoreUpload } from '../application/use-cases/receive-restore-upload.use-case';
import { RestoreBackup } from '../application/use-cases/restore-backup.use-case';
import type { AppConfig } from '../adapters/config/app-config';
import { metricsRoutes } from '../adapters/http/metrics.router';
import { PrometheusMetrics, restoreOutcome } from '../adapters/metrics/prometheus.metrics';
import { HTTP_TOKENS } from './http-tokens';

/**
 * `GET /metrics`. Restores and uploads are observed where they are built (an activation hook on the
 * use case), so the use cases, the router and the CLI need no metrics code.
 */
export function metricsModule(c: Container, config: AppConfig): void {
  c.bind(PrometheusMetrics).toResolvedValue((db: DatabaseBackend) => new PrometheusMetrics(db.jobs), [TOKENS.Database]);
  c.bind(HTTP_TOKENS.RootRoute).toResolvedValue(
    (metrics: PrometheusMetrics) => metricsRoutes({ metrics, token: config.metricsToken }),
    [PrometheusMetrics],
  );

  c.onActivation(RestoreBackup, (ctx, restore) => {
    const metrics = ctx.get(PrometheusMetrics);
    // `this` is kept, so an object derived from the use case (Object.create) still runs as itself.
    const execute = restore.execute;
    restore.execute = async function (this: RestoreBackup, ...args) {
      const started = performance.now();
      try {
        const report = await execute.apply(this, args);
        metrics.restoreFinished('succeeded', (performance.now() - started) / 1000);
        return report;
      } catch (error) {
        metrics.restoreFinished(restoreOutcome(error), (performance.now() - started) / 1000);
        throw error;
      }
    };
    return restore;
  });
  c.onActivation(ReceiveRestoreUpload, (ctx, receive) => {
    const metrics = ctx.get(PrometheusMetrics);
    const execute = receive.execute;
    receive.execute = async function (this: ReceiveRestoreUpload, ...args) {
      const upload = await execute.apply(this, args);
      metrics.uploadReceived(upload.fileSize);
      return upload;
    };
    return receive;
  });
}
