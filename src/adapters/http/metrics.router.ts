import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';

export interface MetricsRouteOptions {
  /** The Prometheus text and its content type. */
  readonly metrics: { readonly contentType: string; render(): Promise<string> };
  /** When set, scrapers send `Authorization: Bearer <token>` from anywhere; unset: loopback clients only. */
  readonly token?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `GET /metrics` in Prometheus text format. Scrapers cannot log in, so access is a bearer token
 * (METRICS_TOKEN) or, without one, a direct connection from this host; a request relayed by a proxy
 * (X-Forwarded-For, Forwarded) is never taken for a local one.
 */
export function metricsRoutes(options: MetricsRouteOptions): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    try {
      if (options.token !== undefined) {
        if (!bearerMatches(req, options.token)) {
          res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'Metrics need Authorization: Bearer <METRICS_TOKEN>', code: 'metrics_token_required' });
          return;
        }
      } else if (!isDirectLoopback(req)) {
        res.status(403).json({ error: 'Metrics answer local clients only; set METRICS_TOKEN to scrape from elsewhere', code: 'metrics_local_only' });
        return;
      }
      res.set('Content-Type', options.metrics.contentType).send(await options.metrics.render());
    } catch (error) {
      next(error);
    }
  });
  return router;
}

function bearerMatches(req: Request, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1].trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isDirectLoopback(req: Request): boolean {
  if (req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined) return false;
  return LOOPBACK.has(req.socket.remoteAddress ?? '');
}
