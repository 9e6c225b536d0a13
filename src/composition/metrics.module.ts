import { performance } from 'node:perf_hooks';
import type { Container } from 'inversify';
import type { DatabaseBackend } from '../application/ports/database.port';
import { TOKENS } from '../application/ports/tokens';
import { ReceiveRestoreUpload } from '../application/use-cases/receive-restore-upload.use-case';
import { RestoreBackup } from '../application/use-cases/restore-backup.use-case';
import type { AppConfig } from '../adapters/config/app-config';
import type { MetricsRouteOptions } from '../adapters/http/metrics.router';
import type { PrometheusMetrics } from '../adapters/metrics/prometheus.metrics';
import { HTTP_TOKENS } from './http-tokens';

// Required on first use: a container built without this module (the CLI's) never loads prom-client,
// and the CLI never loads express. The server loads prom-client (with the OpenTelemetry API it
// pulls in) at the first scrape or the first restore or upload it counts, not at start: a process
// that is only ever asked to restore keeps those megabytes out of its peak.
const prometheus = () => require('../adapters/metrics/prometheus.metrics') as typeof import('../adapters/metrics/prometheus.metrics');
const metricsRouter = () => require('../adapters/http/metrics.router') as typeof import('../adapters/http/metrics.router');

const METRICS = Symbol.for('aviary.PrometheusMetrics');

/**
 * `GET /metrics`. Restores and uploads are observed where they are built (an activation hook on the
 * use case), so the use cases, the router and the CLI need no metrics code.
 */
export function metricsModule(c: Container, config: AppConfig): void {
  c.bind(METRICS).toResolvedValue((db: DatabaseBackend) => new (prometheus().PrometheusMetrics)(db.jobs), [TOKENS.Database]);
  const registry = () => c.get<PrometheusMetrics>(METRICS);
  c.bind(HTTP_TOKENS.RootRoute).toResolvedValue(() => metricsRouter().metricsRoutes({ metrics: onFirstScrape(registry), token: config.metricsToken }), []);

  c.onActivation(RestoreBackup, (_ctx, restore) => {
    // `this` is kept, so an object derived from the use case (Object.create) still runs as itself.
    const execute = restore.execute;
    restore.execute = async function (this: RestoreBackup, ...args) {
      const started = performance.now();
      try {
        const report = await execute.apply(this, args);
        registry().restoreFinished('succeeded', (performance.now() - started) / 1000);
        return report;
      } catch (error) {
        registry().restoreFinished(prometheus().restoreOutcome(error), (performance.now() - started) / 1000);
        throw error;
      }
    };
    return restore;
  });
  c.onActivation(ReceiveRestoreUpload, (_ctx, receive) => {
    const execute = receive.execute;
    receive.execute = async function (this: ReceiveRestoreUpload, ...args) {
      const upload = await execute.apply(this, args);
      registry().uploadReceived(upload.fileSize);
      return upload;
    };
    return receive;
  });
}

/** What `GET /metrics` serves, with the registry built when first scraped. */
function onFirstScrape(registry: () => PrometheusMetrics): MetricsRouteOptions['metrics'] {
  return {
    get contentType() {
      return registry().contentType;
    },
    render: () => registry().render(),
  };
}
