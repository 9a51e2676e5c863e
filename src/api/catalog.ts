/**
 * The marketplace view of the catalog, in OpenRouter's shapes (field for field as its API and SDK
 * document them; Agora's own fields after them):
 * GET /api/v1/models — every model (servable or not); `offset` / `limit` page it (the whole list
 * when both are left out), `output_modalities` (default `text`, or `all`) and
 * `supported_parameters` filter it, as on OpenRouter;
 * GET /api/v1/models/{author}/{slug}/endpoints — a model's endpoints with their facts (price,
 * context, quantization, parameters, jurisdiction, data policy) and live stats (uptime, latency
 * and throughput percentiles, circuit state).
 */
import type { CatalogEndpoint, CatalogModel } from '../catalog/snapshot.js';
import type { Exchange } from '../gateway.js';
import type { VerificationState } from '../routing/filters.js';
import { sendJson } from '../http/respond.js';
import type { EndpointHealth, Percentiles } from '../routing/health.js';
import { invalidRequest, notFound } from '../contract/errors.js';
import { architectureView, factsView, modelItem, modelParameters, pricingView } from './models.js';
import { matches, parseFilters } from '../catalog/filter.js';

/** OpenRouter's page size cap. */
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 500;

function whole(exchange: Exchange, name: string, min: number, max: number): number | undefined {
  const text = exchange.query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw invalidRequest(`Invalid '${name}': expected a whole number from ${min} to ${max}.`, name);
  }
  return value;
}

/** A comma-separated query list, or undefined when absent. */
function list(exchange: Exchange, name: string): string[] | undefined {
  const text = exchange.query.get(name);
  if (text === null || text.trim() === '') return undefined;
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function listCatalog(exchange: Exchange): void {
  const offset = whole(exchange, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = whole(exchange, 'limit', 1, MAX_LIMIT);
  const modalities = list(exchange, 'output_modalities') ?? ['text'];
  const parameters = list(exchange, 'supported_parameters');
  const filters = parseFilters((name) => exchange.query.get(name));
  const entries = [...exchange.gateway.catalog.models.values()].filter(
    (entry) =>
      (modalities.includes('all') || entry.model.outputModalities.some((modality) => modalities.includes(modality))) &&
      (parameters === undefined || parameters.every((parameter) => modelParameters(entry).includes(parameter))) &&
      matches(entry, filters),
  );
  // Both left out: the whole list (OpenRouter's rule); either given: one page, and a link to the next.
  const paged = offset !== undefined || limit !== undefined;
  const start = offset ?? 0;
  const size = limit ?? DEFAULT_LIMIT;
  const page = paged ? entries.slice(start, start + size) : entries;
  const more = paged && start + size < entries.length;
  const next = new URLSearchParams({ offset: String(start + size), limit: String(size) });
  for (const [name, value] of exchange.query) if (name !== 'offset' && name !== 'limit') next.append(name, value);
  sendJson(exchange.response, 200, {
    data: page.map(modelItem),
    total_count: entries.length,
    links: { next: more ? `/api/v1/models?${next.toString()}` : null },
  });
}

/** Milliseconds → seconds, as OpenRouter reports latency. */
function seconds(value: number | null): number | null {
  return value === null ? null : Math.round(value) / 1000;
}

/** OpenRouter's percentile object: all four numbers, or null while nothing was measured. */
function percentiles(stats: Percentiles, scale: (value: number | null) => number | null = (value) => value): Record<string, number> | null {
  const [p50, p75, p90, p99] = [scale(stats.p50), scale(stats.p75), scale(stats.p90), scale(stats.p99)];
  return p50 === null || p75 === null || p90 === null || p99 === null ? null : { p50, p75, p90, p99 };
}

export function endpointView(
  entry: CatalogEndpoint,
  health: EndpointHealth,
  now: number,
  verification?: VerificationState,
): Record<string, unknown> {
  const { endpoint, provider } = entry;
  const stats = health.stats(now);
  const toolChoice = endpoint.supportedParameters.has('tool_choice');
  return {
    name: `${provider.name}: ${entry.model.name}`,
    model_id: entry.model.id,
    model_name: entry.model.name,
    // Unknown when the config gives the endpoint none (OpenRouter's schema wants a number: give every endpoint its context_length).
    context_length: endpoint.contextLength ?? null,
    pricing: pricingView(entry),
    provider_name: provider.name,
    tag: provider.id,
    quantization: endpoint.quantization ?? null,
    max_completion_tokens: endpoint.maxOutput ?? null,
    max_prompt_tokens: null,
    supported_parameters: [...endpoint.supportedParameters],
    status: entry.adapter ? (endpoint.status === 'disabled' ? -10 : 0) : -10,
    uptime_last_5m: stats.uptime_5m,
    uptime_last_30m: stats.uptime_30m,
    uptime_last_1d: stats.uptime_1d,
    // Over the endpoint's last 128 answers (time to first token, output tokens per second).
    latency_last_30m: percentiles(stats.ttft_ms, seconds),
    throughput_last_30m: percentiles(stats.tokens_per_second),
    // A listed cache-read price with no cache markers needed: Anthropic's API caches only what cache_control marks.
    supports_implicit_caching: endpoint.pricing.cacheRead !== undefined && provider.type !== 'anthropic',
    // Every adapter maps OpenAI's four tool_choice forms when the endpoint takes tool_choice at all.
    supports_tool_choice: { auto: toolChoice, none: toolChoice, required: toolChoice, function: toolChoice },
    supports_voice_cloning: false,
    // Agora's own: the upstream's model name, facts, the circuit and the live stats routing uses.
    upstream_model: endpoint.upstreamModel,
    jurisdiction: endpoint.jurisdiction ?? null,
    data_policy: {
      retention_days: endpoint.dataPolicy.retentionDays ?? null,
      trains_on_prompts: endpoint.dataPolicy.trainsOnPrompts ?? null,
      zdr: endpoint.dataPolicy.zdr ?? false,
    },
    enabled: entry.adapter !== undefined && endpoint.status !== 'disabled',
    disabled_reason: entry.adapter ? null : (provider.disabledReason ?? null),
    latency_ewma: seconds(stats.ttft_ms.ewma),
    throughput_ewma: stats.tokens_per_second.ewma,
    error_rate: stats.error_rate,
    circuit: stats.circuit,
    circuit_open_until: stats.open_until === null ? null : new Date(stats.open_until).toISOString(),
    requests_last_1d: stats.requests_1d,
    // The latest host verification (agora bench verify): what provider.verified routes by.
    verification: verification
      ? { status: verification.status, reason: verification.reason, at: new Date(verification.at).toISOString() }
      : null,
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
      created: entry.model.created ?? 0,
      description: entry.model.description ?? '',
      architecture: { ...architectureView(entry), tokenizer: null, instruct_type: null },
      ...factsView(entry),
      endpoints: entry.endpoints.map((endpoint) =>
        endpointView(endpoint, gateway.planner.health.get(endpoint.key), now, gateway.planner.verificationFor(endpoint.key)),
      ),
    },
  });
}

/**
 * GET /api/v1/providers — OpenRouter's provider list (name, slug, policy links, headquarters,
 * datacenters), with Agora's facts beside: the API type, the key variable that switches it on,
 * whether it is on, its data policy, and how many models it hosts (and can serve now). Base URLs are
 * not shown: an operator's own upstreams may sit at internal addresses.
 */
export function listProviders(exchange: Exchange): void {
  const snapshot = exchange.gateway.catalog;
  const hosted = new Map<string, { models: number; servable: number }>();
  for (const entry of snapshot.models.values()) {
    for (const endpoint of entry.endpoints) {
      const counts = hosted.get(endpoint.provider.id) ?? { models: 0, servable: 0 };
      counts.models++;
      if (endpoint.adapter && endpoint.endpoint.status !== 'disabled') counts.servable++;
      hosted.set(endpoint.provider.id, counts);
    }
  }
  const data = [...snapshot.config.providers.values()]
    .sort((left, right) => left.id.localeCompare(right.id))
    .map((provider) => ({
      name: provider.name,
      slug: provider.id,
      privacy_policy_url: provider.privacyPolicyUrl ?? null,
      terms_of_service_url: provider.termsOfServiceUrl ?? null,
      status_page_url: provider.statusPageUrl ?? null,
      headquarters: provider.jurisdiction ?? null,
      datacenters: provider.datacenters && provider.datacenters.length > 0 ? [...provider.datacenters] : null,
      // Agora's own.
      refused_regions: [...(provider.refusedRegions ?? [])],
      homepage: provider.homepage ?? null,
      api_type: provider.type,
      key_variable: provider.apiKeyEnv ?? null,
      enabled: provider.enabled,
      disabled_reason: provider.disabledReason ?? null,
      data_policy: {
        retention_days: provider.dataPolicy.retentionDays ?? null,
        trains_on_prompts: provider.dataPolicy.trainsOnPrompts ?? null,
        zdr: provider.dataPolicy.zdr ?? null,
      },
      models: hosted.get(provider.id)?.models ?? 0,
      models_servable: hosted.get(provider.id)?.servable ?? 0,
    }));
  sendJson(exchange.response, 200, { data });
}
