/**
 * GET /metrics — Prometheus text exposition (format 0.0.4) of the gateway's telemetry. Public by
 * default, as Prometheus scrapes without credentials (the labels name routes, models, providers and
 * endpoints — catalog facts — never a key or an account); `telemetry.metrics.require_key: true`
 * asks for an admin key; `telemetry.metrics.enabled: false` makes it an unknown route.
 */
import type { Exchange } from '../gateway.js';
import { authenticate, requireAdmin } from '../http/auth.js';
import { notFound } from '../contract/errors.js';

export async function metricsRoute(exchange: Exchange): Promise<void> {
  const { gateway, response } = exchange;
  const telemetry = gateway.lifecycle.telemetry;
  if (!telemetry.metricsEnabled) throw notFound('Unknown route GET /metrics.', 'unknown_route');
  if (telemetry.metricsRequireKey) {
    const found = authenticate(exchange.request.headers, gateway.keys);
    requireAdmin(found instanceof Promise ? await found : found);
  }
  const text = telemetry.render();
  response.writeHead(200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
