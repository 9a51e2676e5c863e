/**
 * GET /v1/models — OpenAI's list shape; each item also carries every field of OpenRouter's model
 * (`modelItem`, shared with GET /api/v1/models in catalog.ts). Lists the models that can be served
 * now; `?all=true` lists the whole catalog.
 *
 * What the catalog does not know is null, never guessed: `created` is 0 unless the config gives
 * the model's `created`; `default_parameters` (the gateway adds none, and does not know the
 * upstream's), `per_request_limits`, `knowledge_cutoff`, `expiration_date`, `instruct_type` and
 * `supported_voices` are null; `tokenizer` (optional, and not nullable in OpenRouter's schema) is
 * left out.
 */
import type { CatalogEndpoint, CatalogModel } from '../catalog/snapshot.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';

/** USD per 1M tokens → OpenRouter's USD-per-token decimal string ("0.0000005"), shifted in text so no float noise appears. */
export function perTokenString(perMillion: number): string {
  if (perMillion === 0) return '0';
  const [digits, exponent] = perMillion.toExponential().split('e') as [string, string];
  const mantissa = digits.replace('.', '').replace(/0+$/, '') || '0';
  const point = Number(exponent) + 1 - 6; // position of the decimal point after dividing by 1e6
  if (point <= 0) return `0.${'0'.repeat(-point)}${mantissa}`;
  if (point >= mantissa.length) return mantissa + '0'.repeat(point - mantissa.length);
  return `${mantissa.slice(0, point)}.${mantissa.slice(point)}`;
}

/** An endpoint's prices in OpenRouter's form: USD per token (per request for `request`) as decimal strings. */
export function pricingView(endpoint: CatalogEndpoint): Record<string, string> {
  const pricing = endpoint.endpoint.pricing;
  return {
    prompt: perTokenString(pricing.prompt),
    completion: perTokenString(pricing.completion),
    ...(pricing.cacheRead !== undefined ? { input_cache_read: perTokenString(pricing.cacheRead) } : {}),
    ...(pricing.cacheWrite !== undefined ? { input_cache_write: perTokenString(pricing.cacheWrite) } : {}),
    ...(pricing.reasoning !== undefined ? { internal_reasoning: perTokenString(pricing.reasoning) } : {}),
    request: String(pricing.request ?? 0),
  };
}

/** OpenRouter's `architecture` as far as the catalog knows it (text in and out unless the catalog says more). */
export function architectureView(entry: CatalogModel): { modality: string; input_modalities: string[]; output_modalities: string[] } {
  const inputs = [...entry.model.inputModalities];
  const outputs = [...entry.model.outputModalities];
  return { modality: `${inputs.join('+')}->${outputs.join('+')}`, input_modalities: inputs, output_modalities: outputs };
}

/** OpenRouter's price for a model whose price is not fixed (listed without an endpoint). */
const NOT_FIXED = { prompt: '-1', completion: '-1' };

/** The catalog's facts OpenRouter's schema has no place for, added beside its fields. */
export function factsView(entry: CatalogModel): Record<string, unknown> {
  const { model } = entry;
  return {
    author: model.author,
    author_name: model.authorName ?? null,
    author_country: model.authorCountry ?? null,
    open_weights: model.openWeights ?? null,
    license: model.license ?? null,
    parameters: model.parameters ? { total: model.parameters.total ?? null, active: model.parameters.active ?? null } : null,
    release_date: model.releaseDate ?? null,
  };
}

/** The endpoints a model's summary describes: the enabled ones, or all of them when none is enabled. */
function described(entry: CatalogModel): CatalogEndpoint[] {
  return entry.available.length > 0 ? entry.available : entry.endpoints;
}

/** What a model's endpoints honour together (OpenRouter's model-level list: the union, sorted). */
export function modelParameters(entry: CatalogModel): string[] {
  const union = new Set<string>();
  for (const endpoint of described(entry)) for (const parameter of endpoint.endpoint.supportedParameters) union.add(parameter);
  return [...union].sort();
}

/** One model in OpenRouter's shape (every field its `/api/v1/models` list carries), with Agora's extras after. */
export function modelItem(entry: CatalogModel): Record<string, unknown> {
  const { model } = entry;
  const cheapest = [...described(entry)].sort(
    (left, right) =>
      left.endpoint.pricing.prompt + left.endpoint.pricing.completion - (right.endpoint.pricing.prompt + right.endpoint.pricing.completion),
  )[0];
  return {
    id: model.id,
    canonical_slug: model.id,
    hugging_face_id: model.huggingFaceId ?? null,
    name: model.name,
    created: model.created ?? 0,
    description: model.description ?? '',
    context_length: model.contextLength ?? null,
    architecture: { ...architectureView(entry), instruct_type: null },
    pricing: cheapest ? pricingView(cheapest) : NOT_FIXED,
    top_provider: {
      context_length: cheapest?.endpoint.contextLength ?? model.contextLength ?? null,
      max_completion_tokens: cheapest?.endpoint.maxOutput ?? null,
      is_moderated: false,
    },
    per_request_limits: null,
    supported_parameters: modelParameters(entry),
    default_parameters: null,
    knowledge_cutoff: null,
    expiration_date: null,
    links: { details: `/api/v1/models/${model.id}/endpoints` },
    supported_voices: null,
    // Agora's own: OpenAI's list-item fields, the catalog's facts, its hosts and how many can serve it now.
    object: 'model',
    owned_by: model.author,
    ...factsView(entry),
    providers: entry.endpoints.map((endpoint) => endpoint.provider.id),
    endpoints_available: entry.available.length,
  };
}

export function listModels(exchange: Exchange): void {
  const catalog = exchange.gateway.catalog;
  const entries = exchange.query.get('all') === 'true' ? [...catalog.models.values()] : catalog.servable();
  sendJson(exchange.response, 200, { object: 'list', data: entries.map(modelItem) });
}
