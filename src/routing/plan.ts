/**
 * Planning: the requested models (model, then the `models` fallback list) → an ordered list of
 * attempts. Pure and synchronous: it reads the in-memory catalog and health only.
 *
 * For each model, in order: filter (routing/filters.ts; every removal is explained) → split by
 * health (stable, recently out, circuit open) → order the stable ones (provider.order, a sort,
 * the sticky endpoint of this conversation, or OpenRouter's inverse-square-of-price pick) →
 * stable, then recently-out endpoints, then — as a last resort, only reached when everything
 * before them failed — endpoints whose circuit is open. When every endpoint left is blocked
 * (circuit open, or cooling down after a 429), the request fails fast with 503 (or 429) and a
 * Retry-After of the soonest reopening, so a provider that is down is not hammered.
 */
import type { CatalogEndpoint, CatalogModel, CatalogSnapshot } from '../catalog/snapshot.js';
import { KNOWN_PARAMETERS } from '../config/schema.js';
import { closeMatches } from '../lib/close-matches.js';
import { AgoraError, invalidRequest, notFound } from '../contract/errors.js';
import type { ProviderAdapter } from '../contract/provider-adapter.js';
import { firstFailedConstraint, type Exclusion, type FilterInput, type PolicyGateLike, type VerificationState } from './filters.js';
import type { EndpointHealth, HealthRegistry } from './health.js';
import { parsePreferences, splitVariant, type ProviderPreferences } from './preferences.js';
import type { StickyRoutes } from './stickiness.js';
import { inverseSquarePrice, sortBy, type Ranked } from './strategies/index.js';

export interface Attempt {
  /** The model id the client asked for (without variant). */
  modelId: string;
  endpoint: CatalogEndpoint;
  adapter: ProviderAdapter;
  health: EndpointHealth;
}

export interface PlanRequest {
  modelIds: string[];
  kind: 'chat' | 'embedding';
  /** The request's raw `provider` object. */
  provider: unknown;
  body: Record<string, unknown>;
  promptTokensEstimate: number;
  maxTokens: number | undefined;
  /** Identity of the conversation for cache stickiness (computed only when it can matter). */
  conversation?: () => string | undefined;
  /** Governance: endpoints it refuses are removed before choosing, like any filter. */
  gate?: PolicyGateLike | undefined;
}

export interface Plan {
  attempts: Attempt[];
  excluded: Exclusion[];
  preferences: ProviderPreferences;
  conversation: string | undefined;
}

const PARAMETERS = new Set<string>(KNOWN_PARAMETERS);

function requestedParameters(body: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const key in body) if (PARAMETERS.has(key) && body[key] !== undefined && body[key] !== null) found.push(key);
  return found;
}

export class Planner {
  /** Each model's endpoints' health, index-aligned with `entry.endpoints` (one lookup per model per request). */
  private readonly bound = new WeakMap<CatalogModel, EndpointHealth[]>();

  constructor(
    private catalog: CatalogSnapshot,
    readonly health: HealthRegistry,
    readonly sticky: StickyRoutes,
  ) {}

  /** Plans from a new catalog snapshot from now on (a synced catalog seen by the refresher). */
  use(catalog: CatalogSnapshot): void {
    this.catalog = catalog;
  }

  private verifications: ReadonlyMap<string, VerificationState> = new Map();
  private readonly verificationOf = (entry: CatalogEndpoint): VerificationState | undefined => this.verifications.get(entry.key);

  /** Host verifications in force, by endpoint key (`provider: {verified: true}` admits only those that passed). */
  useVerifications(verifications: ReadonlyMap<string, VerificationState>): void {
    this.verifications = verifications;
  }

  /** The latest verification of an endpoint, if any. */
  verificationFor(endpointKey: string): VerificationState | undefined {
    return this.verifications.get(endpointKey);
  }

  private healthOf(entry: CatalogModel): EndpointHealth[] {
    let found = this.bound.get(entry);
    if (!found) {
      found = entry.endpoints.map((endpoint) => this.health.get(endpoint.key));
      this.bound.set(entry, found);
    }
    return found;
  }

  plan(request: PlanRequest, now = Date.now()): Plan {
    const first = splitVariant(request.modelIds[0]!);
    const preferences = parsePreferences(request.provider, first.variant);
    const filterInput: FilterInput = {
      preferences,
      requestedParameters: preferences.requireParameters ? requestedParameters(request.body) : [],
      promptTokensEstimate: request.promptTokensEstimate,
      maxTokens: request.maxTokens,
      verification: this.verificationOf,
    };
    const excluded: Exclusion[] = [];
    const attempts: Attempt[] = [];
    const blocked: Attempt[] = [];
    let known = 0;
    let refusedByPolicy = false;
    const gate = request.gate;
    let conversation: string | undefined;
    for (const raw of request.modelIds) {
      const modelId = splitVariant(raw).modelId;
      const entry = this.catalog.get(modelId);
      if (!entry) continue;
      known++;
      if (entry.model.kind !== request.kind) throw wrongKind(modelId, entry.model.kind);
      const stable: Ranked[] = [];
      const shaky: Ranked[] = [];
      const healths = this.healthOf(entry);
      for (let index = 0; index < entry.endpoints.length; index++) {
        const candidate = entry.endpoints[index]!;
        const refusal = gate && candidate.adapter ? gate.refusal(candidate) : undefined;
        if (refusal) {
          refusedByPolicy = true;
          excluded.push({
            endpoint: candidate.key,
            provider: candidate.provider.id,
            constraint: 'policy',
            // Refusals are memoised per scope and region, so their text is built once, not per request.
            detail:
              (refusal.summary ??= `${refusal.rule} (${refusal.scope === 'provider' ? 'provider' : `policy ${refusal.policy}, ${refusal.scope}`}): ${refusal.detail}`),
            refusal,
          });
          continue;
        }
        const failed = firstFailedConstraint(candidate, filterInput);
        if (failed) {
          excluded.push(failed);
          continue;
        }
        const health = healths[index]!;
        if (!health.admits(now)) {
          if (now < health.cooldownUntil) {
            // a 429's Retry-After is the provider's own word: never call it before then
            excluded.push({
              endpoint: candidate.key,
              provider: candidate.provider.id,
              constraint: 'rate_limited',
              detail: 'cooling down after a 429',
            });
          }
          blocked.push({ modelId, endpoint: candidate, adapter: candidate.adapter!, health });
          continue;
        }
        (health.recentlyOut(now) ? shaky : stable).push({ entry: candidate, health });
      }
      if (stable.length > 1 && conversation === undefined && !preferences.sort && !preferences.order)
        conversation = request.conversation?.();
      for (const item of this.orderStable(stable, preferences, conversation, now))
        attempts.push({ modelId, endpoint: item.entry, adapter: item.entry.adapter!, health: item.health });
      if (shaky.length > 1) shaky.sort(byErrorRate);
      for (const item of shaky) attempts.push({ modelId, endpoint: item.entry, adapter: item.entry.adapter!, health: item.health });
    }
    if (known === 0) throw unknownModel(request.modelIds, this.catalog);
    if (attempts.length === 0 && blocked.length === 0 && refusedByPolicy && gate) throw gate.refusedError(request.modelIds, excluded);
    if (attempts.length === 0 && blocked.length > 0) throw allBlocked(request.modelIds, blocked, excluded, now);
    for (const item of blocked) {
      if (now >= item.health.cooldownUntil) attempts.push(item); // last resort behind every admitted endpoint
    }
    if (attempts.length === 0) throw nothingLeft(request.modelIds, excluded);
    return { attempts, excluded, preferences, conversation };
  }

  private orderStable(stable: Ranked[], preferences: ProviderPreferences, conversation: string | undefined, now: number): Ranked[] {
    let ordered: Ranked[];
    if (preferences.order) {
      const order = preferences.order;
      const listed = stable
        .filter((item) => order.includes(item.entry.provider.id))
        .sort((left, right) => order.indexOf(left.entry.provider.id) - order.indexOf(right.entry.provider.id));
      const rest = stable.filter((item) => !order.includes(item.entry.provider.id));
      ordered = [...listed, ...(preferences.sort ? sortBy(rest, preferences.sort) : inverseSquarePrice(rest))];
    } else if (preferences.sort) {
      ordered = sortBy(stable, preferences.sort);
    } else {
      ordered = inverseSquarePrice(stable);
      const stickyKey = conversation ? this.sticky.get(conversation, now) : undefined;
      const index = stickyKey ? ordered.findIndex((item) => item.entry.key === stickyKey) : -1;
      if (index > 0) ordered.unshift(ordered.splice(index, 1)[0]!);
    }
    if (!preferences.allowFallbacks && !preferences.order) ordered = ordered.slice(0, 1);
    return demoteMisses(ordered, preferences);
  }
}

function byErrorRate(left: Ranked, right: Ranked): number {
  return left.health.errorRate() - right.health.errorRate();
}

/** preferred_min_throughput / preferred_max_latency move endpoints that miss them to the end (not out). */
function demoteMisses(ordered: Ranked[], preferences: ProviderPreferences): Ranked[] {
  const throughput = preferences.preferredMinThroughput;
  const latency = preferences.preferredMaxLatency;
  if (!throughput && !latency) return ordered;
  const misses = (item: Ranked): boolean => {
    if (throughput) {
      const value = item.health.throughput.percentile(throughput.percentile === 'p50' ? 0.5 : 0.9);
      if (value !== null && value < throughput.value) return true;
    }
    if (latency) {
      const value = item.health.ttft.percentile(latency.percentile === 'p50' ? 0.5 : 0.9);
      if (value !== null && value > latency.value * 1000) return true;
    }
    return false;
  };
  return [...ordered.filter((item) => !misses(item)), ...ordered.filter(misses)];
}

function wrongKind(modelId: string, kind: 'chat' | 'embedding'): AgoraError {
  const declare =
    kind === 'chat'
      ? ` If it is an embedding model, the operator declares it with \`kind: embedding\` under models.${modelId} in the config file.`
      : '';
  return invalidRequest(
    `The model '${modelId}' is ${kind === 'embedding' ? 'an embedding model' : 'a chat model'}; use ${kind === 'embedding' ? '/v1/embeddings' : '/v1/chat/completions'}.${declare}`,
    'model',
    'wrong_endpoint',
  );
}

function unknownModel(modelIds: string[], catalog: CatalogSnapshot): AgoraError {
  const wanted = splitVariant(modelIds[0]!).modelId;
  const suggestions = closeMatches(wanted, catalog.models.keys());
  return notFound(
    `The model '${wanted}' does not exist.${suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : ''}`,
    'model_not_found',
    { requested_models: modelIds, close_matches: suggestions },
  );
}

function allBlocked(modelIds: string[], blocked: Attempt[], excluded: Exclusion[], now: number): AgoraError {
  const reopens = Math.min(...blocked.map((item) => Math.max(item.health.openUntil, item.health.cooldownUntil)));
  const retryAfter = Math.max(1, Math.ceil((reopens - now) / 1000));
  const rateLimited = blocked.every((item) => now < item.health.cooldownUntil);
  return new AgoraError(
    `Every endpoint of '${modelIds.join("', '")}' is temporarily unavailable (${rateLimited ? 'rate limited upstream' : 'failing'}); retry in ${retryAfter} s.`,
    {
      status: rateLimited ? 429 : 503,
      kind: rateLimited ? 'rate_limit_exceeded' : 'provider_unavailable',
      type: rateLimited ? 'rate_limit_error' : 'upstream_error',
      code: rateLimited ? 'upstream_rate_limited' : 'all_endpoints_unavailable',
      retryable: false,
      headers: { 'retry-after': String(retryAfter) },
      metadata: { requested_models: modelIds, excluded_by: excluded },
    },
  );
}

function nothingLeft(modelIds: string[], excluded: Exclusion[]): AgoraError {
  const list = excluded.map((item) => `${item.provider}: ${item.detail}`).join('; ');
  const metadata = { requested_models: modelIds, excluded_by: excluded };
  if (excluded.every((item) => item.constraint === 'provider_disabled')) {
    return new AgoraError(`No provider is available for '${modelIds.join("', '")}': ${list}.`, {
      status: 503,
      kind: 'provider_unavailable',
      type: 'upstream_error',
      code: 'no_available_provider',
      retryable: false,
      metadata,
    });
  }
  if (excluded.every((item) => item.constraint === 'context_length' || item.constraint === 'provider_disabled')) {
    return new AgoraError(`The request does not fit any endpoint's context: ${list}.`, {
      status: 400,
      kind: 'invalid_request',
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
      metadata,
    });
  }
  return notFound(`No endpoint of '${modelIds.join("', '")}' meets the request's constraints: ${list}.`, 'no_endpoints_match', metadata);
}
