/**
 * OpenRouter's request-level routing controls: the `provider` object and the `:nitro` / `:floor`
 * model variants, validated strictly (a 400 names the bad field).
 */
import { QUANTIZATIONS } from '../config/schema.js';
import { fieldName, invalidRequest, preview } from '../contract/errors.js';

export type SortBy = 'price' | 'throughput' | 'latency';

export interface ProviderPreferences {
  order: string[] | undefined;
  only: string[] | undefined;
  ignore: string[] | undefined;
  allowFallbacks: boolean;
  requireParameters: boolean;
  dataCollection: 'allow' | 'deny';
  zdr: boolean;
  /** Only endpoints whose latest host verification passed (part 11). */
  verified: boolean;
  quantizations: string[] | undefined;
  sort: SortBy | undefined;
  /** USD per 1M tokens (prompt, completion) and per request. */
  maxPrice: { prompt?: number; completion?: number; request?: number } | undefined;
  /** Tokens per second at p50 (or p90 when given as {p90}). */
  preferredMinThroughput: { value: number; percentile: 'p50' | 'p90' } | undefined;
  /** Seconds to first token at p50 (or p90). */
  preferredMaxLatency: { value: number; percentile: 'p50' | 'p90' } | undefined;
}

export const DEFAULT_PREFERENCES: ProviderPreferences = {
  order: undefined,
  only: undefined,
  ignore: undefined,
  allowFallbacks: true,
  requireParameters: false,
  dataCollection: 'allow',
  zdr: false,
  verified: false,
  quantizations: undefined,
  sort: undefined,
  maxPrice: undefined,
  preferredMinThroughput: undefined,
  preferredMaxLatency: undefined,
};

const FIELDS = new Set([
  'order',
  'only',
  'ignore',
  'allow_fallbacks',
  'require_parameters',
  'data_collection',
  'zdr',
  'verified',
  'quantizations',
  'sort',
  'max_price',
  'preferred_min_throughput',
  'preferred_max_latency',
]);

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidRequest(`Invalid 'provider.${field}': expected an array of provider ids.`, `provider.${field}`, 'invalid_type');
  }
  return (value as string[]).map((item) => item.toLowerCase());
}

function bool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw invalidRequest(`Invalid 'provider.${field}': expected a boolean.`, `provider.${field}`, 'invalid_type');
  return value;
}

function percentileTarget(value: unknown, field: string): ProviderPreferences['preferredMinThroughput'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && value >= 0) return { value, percentile: 'p50' };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    if (typeof object.p50 === 'number') return { value: object.p50, percentile: 'p50' };
    if (typeof object.p90 === 'number') return { value: object.p90, percentile: 'p90' };
  }
  throw invalidRequest(`Invalid 'provider.${field}': expected a number or {p50} / {p90}.`, `provider.${field}`, 'invalid_type');
}

function maxPrice(value: unknown): ProviderPreferences['maxPrice'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest(
      "Invalid 'provider.max_price': expected an object like {prompt: 1, completion: 2} (USD per 1M tokens).",
      'provider.max_price',
      'invalid_type',
    );
  }
  const out: NonNullable<ProviderPreferences['maxPrice']> = {};
  for (const [key, amount] of Object.entries(value as Record<string, unknown>)) {
    if (key !== 'prompt' && key !== 'completion' && key !== 'request') {
      throw invalidRequest(
        `Invalid 'provider.max_price.${fieldName(key)}': expected prompt, completion or request.`,
        `provider.max_price.${fieldName(key)}`,
      );
    }
    if (typeof amount !== 'number' || amount < 0) {
      throw invalidRequest(
        `Invalid 'provider.max_price.${key}': expected a number of 0 or more.`,
        `provider.max_price.${key}`,
        'invalid_type',
      );
    }
    out[key] = amount;
  }
  return out;
}

/** Validates the `provider` object; `variant` is the model suffix (`nitro` / `floor`) if any. */
export function parsePreferences(raw: unknown, variant: string | undefined): ProviderPreferences {
  let preferences = DEFAULT_PREFERENCES;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw invalidRequest("Invalid 'provider': expected an object.", 'provider', 'invalid_type');
    const object = raw as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (!FIELDS.has(key))
        throw invalidRequest(
          `Unknown field 'provider.${fieldName(key)}'; expected one of: ${[...FIELDS].join(', ')}.`,
          `provider.${fieldName(key)}`,
          'unknown_parameter',
        );
    }
    const dataCollection = object.data_collection ?? 'allow';
    if (dataCollection !== 'allow' && dataCollection !== 'deny') {
      throw invalidRequest('Invalid \'provider.data_collection\': expected "allow" or "deny".', 'provider.data_collection');
    }
    const sortValue = typeof object.sort === 'object' && object.sort !== null ? (object.sort as Record<string, unknown>).by : object.sort;
    if (sortValue !== undefined && sortValue !== null && sortValue !== 'price' && sortValue !== 'throughput' && sortValue !== 'latency') {
      throw invalidRequest("Invalid 'provider.sort': expected price, throughput or latency.", 'provider.sort');
    }
    const quantizations = stringList(object.quantizations, 'quantizations');
    const unknownQuantization = quantizations?.find((item) => !(QUANTIZATIONS as readonly string[]).includes(item));
    if (unknownQuantization) {
      throw invalidRequest(
        `Invalid 'provider.quantizations': ${preview(unknownQuantization)} is not one of ${QUANTIZATIONS.join(', ')}.`,
        'provider.quantizations',
      );
    }
    preferences = {
      order: stringList(object.order, 'order'),
      only: stringList(object.only, 'only'),
      ignore: stringList(object.ignore, 'ignore'),
      allowFallbacks: bool(object.allow_fallbacks, 'allow_fallbacks', true),
      requireParameters: bool(object.require_parameters, 'require_parameters', false),
      dataCollection,
      zdr: bool(object.zdr, 'zdr', false),
      verified: bool(object.verified, 'verified', false),
      quantizations,
      sort: (sortValue ?? undefined) as SortBy | undefined,
      maxPrice: maxPrice(object.max_price),
      preferredMinThroughput: percentileTarget(object.preferred_min_throughput, 'preferred_min_throughput'),
      preferredMaxLatency: percentileTarget(object.preferred_max_latency, 'preferred_max_latency'),
    };
  }
  if (variant === 'nitro') return { ...preferences, sort: 'throughput' };
  if (variant === 'floor') return { ...preferences, sort: 'price' };
  return preferences;
}

/** Splits `author/slug:variant`; only the variants the gateway implements are split off. */
export function splitVariant(modelId: string): { modelId: string; variant: string | undefined } {
  const colon = modelId.lastIndexOf(':');
  if (colon === -1) return { modelId, variant: undefined };
  const variant = modelId.slice(colon + 1);
  if (variant === 'nitro' || variant === 'floor') return { modelId: modelId.slice(0, colon), variant };
  return { modelId, variant: undefined };
}
