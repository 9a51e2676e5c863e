/** GET /health — liveness. Reads nothing but memory, so it answers while the database or upstreams are down. */
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';

export function health(exchange: Exchange): void {
  const { gateway } = exchange;
  sendJson(exchange.response, gateway.state.draining ? 503 : 200, {
    status: gateway.state.draining ? 'draining' : 'ok',
    uptime_s: Math.round((Date.now() - gateway.state.startedAt) / 1000),
    in_flight: gateway.state.inFlight - 1,
    models: gateway.catalog.servable().length,
    pending_records: gateway.sink.pending,
  });
}
