/**
 * GET /v1/models (and /api/v1/models) — OpenAI's list shape; each item also carries OpenRouter's
 * model fields (name, context_length, pricing as USD-per-token strings, architecture, top_provider).
 * Lists the models that can be served now; `?all=true` lists the whole catalog.
 */
import type { CatalogModel } from '../catalog/snapshot.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';

const CREATED = Math.floor(Date.UTC(2025, 0, 1) / 1000);

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

export function modelItem(entry: CatalogModel): Record<string, unknown> {
  const { model } = entry;
  const cheapest = [...(entry.available.length > 0 ? entry.available : entry.endpoints)].sort(
    (left, right) =>
      left.endpoint.pricing.prompt + left.endpoint.pricing.completion - (right.endpoint.pricing.prompt + right.endpoint.pricing.completion),
  )[0]!;
  const pricing = cheapest.endpoint.pricing;
  return {
    id: model.id,
    object: 'model',
    created: CREATED,
    owned_by: model.author,
    canonical_slug: model.id,
    hugging_face_id: model.huggingFaceId ?? null,
    name: model.name,
    description: model.description ?? '',
    context_length: model.contextLength ?? null,
    architecture: {
      modality: model.kind === 'embedding' ? 'text->embeddings' : 'text->text',
      input_modalities: ['text'],
      output_modalities: [model.kind === 'embedding' ? 'embeddings' : 'text'],
    },
    pricing: {
      prompt: perTokenString(pricing.prompt),
      completion: perTokenString(pricing.completion),
      ...(pricing.cacheRead !== undefined ? { input_cache_read: perTokenString(pricing.cacheRead) } : {}),
      ...(pricing.cacheWrite !== undefined ? { input_cache_write: perTokenString(pricing.cacheWrite) } : {}),
      request: String(pricing.request ?? 0),
    },
    top_provider: {
      context_length: cheapest.endpoint.contextLength ?? model.contextLength ?? null,
      max_completion_tokens: cheapest.endpoint.maxOutput ?? null,
      is_moderated: false,
    },
    endpoints_available: entry.available.length,
  };
}

export function listModels(exchange: Exchange): void {
  const catalog = exchange.gateway.catalog;
  const entries = exchange.query.get('all') === 'true' ? [...catalog.models.values()] : catalog.servable();
  sendJson(exchange.response, 200, { object: 'list', data: entries.map(modelItem) });
}
