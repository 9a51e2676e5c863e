/**
 * The catalog as the request path sees it: models with their endpoints, each endpoint bound to
 * its provider's adapter (one per enabled provider, created once). Immutable once built; a new
 * config (a sync seen by the refresher) builds a new snapshot, which keeps the previous one's
 * adapters for providers whose connection settings did not change, so their pools and in-flight
 * requests carry on.
 */
import type { ResolvedConfig, ResolvedEndpoint, ResolvedModel, ResolvedProvider } from '../config/types.js';
import { toPicoPricing, type PicoPricing } from '../lib/money.js';
import { createAdapter } from '../providers/registry.js';
import type { ProviderAdapter } from '../contract/provider-adapter.js';

export interface CatalogEndpoint {
  /** `${modelId}:${providerId}`, unique per endpoint. */
  key: string;
  model: ResolvedModel;
  endpoint: ResolvedEndpoint;
  provider: ResolvedProvider;
  /** Undefined when the provider is switched off (its key variable is not set). */
  adapter: ProviderAdapter | undefined;
  /** The endpoint's prices in integer picodollars, computed once. */
  prices: PicoPricing;
  /** Prompt + completion list price (USD per 1M tokens): what `sort: price` and the default weighting use. */
  blendedPrice: number;
  /** OpenRouter's default weight: the inverse square of the price. */
  weight: number;
  /** 0 … snapshot.endpointCount - 1, unique in its snapshot: an index for per-endpoint memos (governance). */
  ordinal: number;
}

export interface CatalogModel {
  model: ResolvedModel;
  endpoints: CatalogEndpoint[];
  /** Endpoints whose provider is enabled. */
  available: CatalogEndpoint[];
}

export class CatalogSnapshot {
  readonly models = new Map<string, CatalogModel>();
  private readonly adapters = new Map<string, ProviderAdapter>();
  private readonly fingerprints = new Map<string, string>();
  /** How many endpoints the snapshot has (ordinals run from 0 to this - 1). */
  readonly endpointCount: number;

  constructor(
    readonly config: ResolvedConfig,
    previous?: CatalogSnapshot,
  ) {
    for (const provider of config.providers.values()) {
      if (!provider.enabled) continue;
      const fingerprint = connectionFingerprint(provider);
      const kept = previous?.fingerprints.get(provider.id) === fingerprint ? previous.adapters.get(provider.id) : undefined;
      this.adapters.set(provider.id, kept ?? createAdapter(provider));
      this.fingerprints.set(provider.id, fingerprint);
    }
    let ordinal = 0;
    for (const model of config.models.values()) {
      const endpoints = model.endpoints.map((endpoint): CatalogEndpoint => ({
        ordinal: ordinal++,
        key: `${model.id}:${endpoint.providerId}`,
        model,
        endpoint,
        provider: config.providers.get(endpoint.providerId)!,
        adapter: this.adapters.get(endpoint.providerId),
        prices: toPicoPricing(endpoint.pricing),
        blendedPrice: endpoint.pricing.prompt + endpoint.pricing.completion,
        weight: 1 / Math.max(endpoint.pricing.prompt + endpoint.pricing.completion, 0.001) ** 2,
      }));
      // Cheapest first (stable for equal prices), so ordering by price never needs a sort per request.
      endpoints.sort((left, right) => left.blendedPrice - right.blendedPrice);
      this.models.set(model.id, { model, endpoints, available: endpoints.filter((entry) => entry.adapter !== undefined) });
    }
    this.endpointCount = ordinal;
  }

  /** The adapter of an enabled provider. */
  adapterFor(providerId: string): ProviderAdapter | undefined {
    return this.adapters.get(providerId);
  }

  get(modelId: string): CatalogModel | undefined {
    return this.models.get(modelId);
  }

  /** Models that can be served now (at least one enabled endpoint). */
  servable(): CatalogModel[] {
    return [...this.models.values()].filter((entry) => entry.available.length > 0);
  }

  /** The adapters of `previous` this snapshot does not use (to be closed once their requests are done). */
  retiredFrom(previous: CatalogSnapshot): ProviderAdapter[] {
    const used = new Set(this.adapters.values());
    return [...previous.adapters.values()].filter((adapter) => !used.has(adapter));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.adapters.values()].map((adapter) => adapter.close()));
  }
}

/** What an adapter is built from: a provider whose fingerprint is unchanged keeps its adapter. */
function connectionFingerprint(provider: ResolvedProvider): string {
  return JSON.stringify([
    provider.type,
    provider.baseUrl,
    provider.apiKey ?? null,
    provider.headers,
    provider.timeouts,
    provider.maxConnections,
    provider.streamUsage,
    provider.supportedParameters,
    provider.reasoningParam,
    provider.reasoningEfforts ?? null,
    provider.local ?? null,
  ]);
}
