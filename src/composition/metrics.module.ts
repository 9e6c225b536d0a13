import { performance } from 'node:perf_hooks';
import type { Container } from 'inversify';
import type { DatabaseBackend } from '../application/ports/database.port';
import { TOKENS } from '../application/ports/tokens';
import { ReceiveRestoreUpload } from '../application/use-cases/receive-restore-upload.use-case';
import { RestoreBackup } from '../application/use-cases/restore-backup.use-case';
import type { AppConfig } from '../adapters/config/app-config';
import type { PrometheusMetrics } from '../adapters/metrics/prometheus.metrics';
import { HTTP_TOKENS } from './http-tokens';

// Required on first use: a container built without this module (the CLI's) never loads prom-client,
// and the CLI never loads express.
const prometheus = () => require('../adapters/metrics/prometheus.metrics') as typeof import('../adapters/metrics/prometheus.metrics');
const metricsRouter = () => require('../adapters/http/metrics.router') as typeof import('../adapters/http/metrics.router');

const METRICS = Symbol.for('aviary.PrometheusMetrics');

/**
 * `GET /metrics`. Restores and uploads are observed where they are built (an activation hook on the
 * use case), so the use cases, the router and the CLI need no metrics code.
 */
export function metricsModule(c: Container, config: AppConfig): void {
  c.bind(METRICS).toResolvedValue((db: DatabaseBackend) => new (prometheus().PrometheusMetrics)(db.jobs), [TOKENS.Database]);
  c.bind(HTTP_TOKENS.RootRoute).toResolvedValue(
    (metrics: PrometheusMetrics) => metricsRouter().metricsRoutes({ metrics, token: config.metricsToken }),
    [METRICS],
  );

  c.onActivation(RestoreBackup, (ctx, restore) => {
    const metrics = ctx.get<PrometheusMetrics>(METRICS);
    // `this` is kept, so an object derived from the use case (Object.create) still runs as itself.
    const execute = restore.execute;
    restore.execute = async function (this: RestoreBackup, ...args) {
      const started = performance.now();
      try {
        const report = await execute.apply(this, args);
        metrics.restoreFinished('succeeded', (performance.now() - started) / 1000);
        return report;
      } catch (error) {
        metrics.restoreFinished(prometheus().restoreOutcome(error), (performance.now() - started) / 1000);
        throw error;
      }
    };
    return restore;
  });
  c.onActivation(ReceiveRestoreUpload, (ctx, receive) => {
    const metrics = ctx.get<PrometheusMetrics>(METRICS);
    const execute = receive.execute;
    receive.execute = async function (this: ReceiveRestoreUpload, ...args) {
      const upload = await execute.apply(this, args);
      metrics.uploadReceived(upload.fileSize);
      return upload;
    };
    return receive;
  });
}
