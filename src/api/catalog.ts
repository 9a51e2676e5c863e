/**
 * The marketplace view of the catalog, in OpenRouter's shapes:
 * GET /api/v1/models — every model (servable or not);
 * GET /api/v1/models/{author}/{slug}/endpoints — a model's endpoints with their facts (price,
 * context, quantization, parameters, jurisdiction, data policy) and live stats (uptime, latency
 * and throughput percentiles, circuit state).
 */
import type { CatalogEndpoint } from '../catalog/snapshot.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import type { EndpointHealth } from '../routing/health.js';
import { notFound } from '../contract/errors.js';
import { modelItem, perTokenString } from './models.js';

export function listCatalog(exchange: Exchange): void {
  const entries = [...exchange.gateway.catalog.models.values()];
  sendJson(exchange.response, 200, { data: entries.map(modelItem), total_count: entries.length });
}

function seconds(value: number | null): number | null {
  return value === null ? null : Math.round(value) / 1000;
}

export function endpointView(entry: CatalogEndpoint, health: EndpointHealth, now: number): Record<string, unknown> {
  const { endpoint, provider } = entry;
  const stats = health.stats(now);
  const pricing = endpoint.pricing;
  return {
    name: `${provider.name}: ${entry.model.name}`,
    model_id: entry.model.id,
    model_name: entry.model.name,
    provider_name: provider.name,
    tag: provider.id,
    upstream_model: endpoint.upstreamModel,
    context_length: endpoint.contextLength ?? null,
    max_completion_tokens: endpoint.maxOutput ?? null,
    pricing: {
      prompt: perTokenString(pricing.prompt),
      completion: perTokenString(pricing.completion),
      ...(pricing.cacheRead !== undefined ? { input_cache_read: perTokenString(pricing.cacheRead) } : {}),
      ...(pricing.cacheWrite !== undefined ? { input_cache_write: perTokenString(pricing.cacheWrite) } : {}),
      request: String(pricing.request ?? 0),
    },
    quantization: endpoint.quantization ?? null,
    supported_parameters: [...endpoint.supportedParameters],
    jurisdiction: endpoint.jurisdiction ?? null,
    data_policy: {
      retention_days: endpoint.dataPolicy.retentionDays ?? null,
      trains_on_prompts: endpoint.dataPolicy.trainsOnPrompts ?? null,
      zdr: endpoint.dataPolicy.zdr ?? false,
    },
    status: entry.adapter ? (endpoint.status === 'disabled' ? -10 : 0) : -10,
    enabled: entry.adapter !== undefined && endpoint.status !== 'disabled',
    disabled_reason: entry.adapter ? null : (provider.disabledReason ?? null),
    uptime_last_5m: stats.uptime_5m,
    uptime_last_30m: stats.uptime_30m,
    uptime_last_1d: stats.uptime_1d,
    latency_last_30m: { ewma: seconds(stats.ttft_ms.ewma), p50: seconds(stats.ttft_ms.p50), p90: seconds(stats.ttft_ms.p90) },
    throughput_last_30m: stats.tokens_per_second,
    error_rate: stats.error_rate,
    circuit: stats.circuit,
    circuit_open_until: stats.open_until === null ? null : new Date(stats.open_until).toISOString(),
    requests_last_1d: stats.requests_1d,
  };
}

export function listEndpoints(exchange: Exchange, author: string, slug: string): void {
  const { gateway } = exchange;
  const id = `${author}/${slug}`;
  const entry = gateway.catalog.get(id);
  if (!entry) throw notFound(`The model '${id}' does not exist.`, 'model_not_found');
  const now = Date.now();
  sendJson(exchange.response, 200, {
    data: {
      id,
      name: entry.model.name,
      description: entry.model.description ?? '',
      endpoints: entry.endpoints.map((endpoint) => endpointView(endpoint, gateway.planner.health.get(endpoint.key), now)),
    },
  });
}
