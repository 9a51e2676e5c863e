/**
 * OpenRouter's model list (`GET https://openrouter.ai/api/v1/models`, the documented `Model`
 * schema) → catalog entries: each model with its facts (name, description, release time, context,
 * modalities, Hugging Face id) and one endpoint at the `openrouter` provider, priced as listed.
 *
 * OpenRouter lists prices in USD per token as decimal strings; the catalog holds USD per 1M tokens.
 * A price of "-1" (a router whose price depends on the model it picks) is not a fixed price: such a
 * model is listed without an endpoint, and the report says so. Prices the catalog has no place for
 * (per image, per web search, audio) are named in the report, never folded into another price.
 */
import { KNOWN_PARAMETERS, MODALITIES, MODEL_ID_PATTERN } from '../../config/schema.js';
import type { RawCatalog } from '../../config/load.js';
import type { ImportResult, Unmatched } from './types.js';

/** How the `openrouter` provider is reached (OpenRouter's documented base URL and key variable). */
export const OPENROUTER_PROVIDER = {
  type: 'openai-compatible',
  name: 'OpenRouter',
  base_url: 'https://openrouter.ai/api/v1',
  api_key_env: 'OPENROUTER_API_KEY',
  jurisdiction: 'US',
  homepage: 'https://openrouter.ai',
} as const;

const PARAMETERS = new Set<string>(KNOWN_PARAMETERS);
const MODALITY_NAMES = new Set<string>(MODALITIES);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * USD per token (a decimal string or number) → USD per 1M tokens, without binary noise: a decimal
 * string has its point moved six places in text (0.000002 → 2, 0.0000000833333333333333 →
 * 0.0833333333333333), so the catalog's price prints back as the source's string.
 */
export function perMillion(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const decimal = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
    if (decimal) {
      const [, sign, whole, fraction = ''] = decimal;
      const digits = whole! + fraction.padEnd(6, '0');
      const point = whole!.length + 6;
      return Number(`${sign}${digits.slice(0, point)}.${digits.slice(point) || '0'}`);
    }
  }
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(number)) return undefined;
  return Number((number * 1_000_000).toPrecision(15));
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function modalities(value: unknown, notes: Set<string>): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const known = value.filter((item): item is string => typeof item === 'string' && MODALITY_NAMES.has(item));
  for (const item of value)
    if (typeof item === 'string' && !MODALITY_NAMES.has(item)) notes.add(`modality "${item}" is not in the catalog's list; left out`);
  return known.length > 0 ? known : undefined;
}

export function importOpenRouter(json: unknown): ImportResult {
  const data = isObject(json) && Array.isArray(json.data) ? json.data : undefined;
  if (!data) throw new Error('not an OpenRouter model list: expected {"data": [ {id, pricing, …} ]}');
  const models: NonNullable<RawCatalog['models']> = {};
  const authors: Record<string, { name: string }> = {};
  const unmatched: Unmatched[] = [];
  const notes = new Set<string>();
  let variable = 0;
  const unpriced = new Map<string, number>();
  for (const item of data) {
    if (!isObject(item) || typeof item.id !== 'string') {
      unmatched.push({ name: JSON.stringify(item).slice(0, 60), reason: 'no id' });
      continue;
    }
    const id = item.id;
    if (!MODEL_ID_PATTERN.test(id)) {
      unmatched.push({ name: id, reason: 'not an author/slug id the catalog can hold' });
      continue;
    }
    const pricing = isObject(item.pricing) ? item.pricing : {};
    const prompt = perMillion(pricing.prompt);
    const completion = perMillion(pricing.completion);
    const architecture = isObject(item.architecture) ? item.architecture : {};
    const top = isObject(item.top_provider) ? item.top_provider : {};
    const output = modalities(architecture.output_modalities, notes);
    const name = typeof item.name === 'string' ? item.name : undefined;
    const author = id.slice(id.startsWith('~') ? 1 : 0, id.indexOf('/'));
    const colon = name?.indexOf(': ') ?? -1;
    if (name && colon > 0 && !authors[author]) authors[author] = { name: name.slice(0, colon) };
    const facts: Record<string, unknown> = {
      ...(name ? { name } : {}),
      ...(typeof item.description === 'string' && item.description !== '' ? { description: item.description } : {}),
      ...(positiveInt(item.context_length) ? { context_length: item.context_length } : {}),
      ...(typeof item.hugging_face_id === 'string' && item.hugging_face_id !== '' ? { hugging_face_id: item.hugging_face_id } : {}),
      ...(typeof item.created === 'number' && Number.isInteger(item.created) && item.created >= 0 ? { created: item.created } : {}),
      ...(output?.includes('embeddings') ? { kind: 'embedding' } : {}),
      ...(modalities(architecture.input_modalities, notes) ? { input_modalities: modalities(architecture.input_modalities, notes) } : {}),
      ...(output ? { output_modalities: output } : {}),
    };
    const endpoints: Array<Record<string, unknown>> = [];
    if (prompt === undefined || completion === undefined || prompt < 0 || completion < 0) {
      variable++;
    } else {
      for (const field of Object.keys(pricing)) {
        if (!['prompt', 'completion', 'input_cache_read', 'input_cache_write', 'internal_reasoning', 'request'].includes(field)) {
          if ((perMillion(pricing[field]) ?? 0) > 0) unpriced.set(field, (unpriced.get(field) ?? 0) + 1);
        }
      }
      const cacheRead = perMillion(pricing.input_cache_read);
      const cacheWrite = perMillion(pricing.input_cache_write);
      const reasoning = perMillion(pricing.internal_reasoning);
      const request = typeof pricing.request === 'string' || typeof pricing.request === 'number' ? Number(pricing.request) : undefined;
      const parameters = Array.isArray(item.supported_parameters)
        ? item.supported_parameters.filter((parameter): parameter is string => typeof parameter === 'string' && PARAMETERS.has(parameter))
        : undefined;
      endpoints.push({
        provider: 'openrouter',
        model: id,
        pricing: {
          prompt,
          completion,
          ...(cacheRead !== undefined && cacheRead >= 0 ? { cache_read: cacheRead } : {}),
          ...(cacheWrite !== undefined && cacheWrite >= 0 ? { cache_write: cacheWrite } : {}),
          // OpenRouter's internal_reasoning is a per-token rate for reasoning; "0" there means "billed as completion".
          ...(reasoning !== undefined && reasoning > 0 ? { reasoning } : {}),
          ...(request !== undefined && Number.isFinite(request) && request > 0 ? { request } : {}),
        },
        ...(positiveInt(top.context_length) ? { context_length: top.context_length } : {}),
        ...(positiveInt(top.max_completion_tokens) ? { max_output: top.max_completion_tokens } : {}),
        ...(parameters ? { supported_parameters: parameters } : {}),
      });
    }
    models[id] = { ...facts, endpoints };
  }
  if (variable > 0) notes.add(`${variable} models have no fixed price (OpenRouter lists "-1"): listed without an endpoint`);
  for (const [field, count] of unpriced) notes.add(`${count} models also price "${field}", which the catalog does not bill; left out`);
  return {
    source: 'openrouter',
    document: { authors, providers: { openrouter: { ...OPENROUTER_PROVIDER } }, models },
    unmatched,
    notes: [...notes],
  };
}
