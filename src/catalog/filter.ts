/**
 * The catalog's filters, shared by `GET /api/v1/models` and `agora models list`: author, the
 * author's country, open weights, license, parameter range, context, price, provider, servable now,
 * and a text search. Parsed from query parameters (or CLI flags) with a 400 that names the field.
 *
 * Price is the blended price of the model's cheapest matching endpoint, USD per 1M tokens at three
 * prompt tokens to one completion token (Artificial Analysis's convention).
 */
import type { ResolvedEndpoint, ResolvedModel, ResolvedProvider } from '../config/types.js';
import { invalidRequest } from '../contract/errors.js';

export interface ModelFilters {
  authors?: string[];
  authorCountries?: string[];
  openWeights?: boolean;
  licenses?: string[];
  /** Parameter counts (total), inclusive. */
  minParameters?: number;
  maxParameters?: number;
  minContext?: number;
  /** Blended USD per 1M tokens (3:1). */
  maxPrice?: number;
  providers?: string[];
  servable?: boolean;
  /** Words that must all appear in the id or the name (case-insensitive). */
  search?: string;
}

/** What filtering looks at: a model, its endpoints with their providers, and whether any is enabled. */
export interface FilterableModel {
  model: ResolvedModel;
  endpoints: ReadonlyArray<{ endpoint: ResolvedEndpoint; provider: ResolvedProvider }>;
}

export function blendedPrice(endpoint: ResolvedEndpoint): number {
  return (3 * endpoint.pricing.prompt + endpoint.pricing.completion) / 4;
}

function enabled(entry: { endpoint: ResolvedEndpoint; provider: ResolvedProvider }): boolean {
  return entry.provider.enabled && entry.endpoint.status !== 'disabled';
}

export function matches(entry: FilterableModel, filters: ModelFilters): boolean {
  const { model } = entry;
  if (filters.authors && !filters.authors.includes(model.author)) return false;
  if (filters.authorCountries && !(model.authorCountry && filters.authorCountries.includes(model.authorCountry))) return false;
  if (filters.openWeights !== undefined && (model.openWeights ?? false) !== filters.openWeights) return false;
  if (filters.licenses && !(model.license && filters.licenses.includes(model.license.toLowerCase()))) return false;
  const total = model.parameters?.total;
  if (filters.minParameters !== undefined && !(total !== undefined && total >= filters.minParameters)) return false;
  if (filters.maxParameters !== undefined && !(total !== undefined && total <= filters.maxParameters)) return false;
  if (filters.minContext !== undefined && !((model.contextLength ?? 0) >= filters.minContext)) return false;
  const hosts = filters.providers ? entry.endpoints.filter((host) => filters.providers!.includes(host.provider.id)) : entry.endpoints;
  if (filters.providers && hosts.length === 0) return false;
  if (filters.maxPrice !== undefined && !hosts.some((host) => blendedPrice(host.endpoint) <= filters.maxPrice!)) return false;
  if (filters.servable !== undefined && hosts.some(enabled) !== filters.servable) return false;
  if (filters.search) {
    const text = `${model.id} ${model.name}`.toLowerCase();
    if (
      !filters.search
        .toLowerCase()
        .split(/\s+/)
        .every((word) => text.includes(word))
    )
      return false;
  }
  return true;
}

/** The query parameters (and CLI flags, by the same names with dashes) that set each filter. */
export const FILTER_PARAMETERS = [
  'author',
  'author_country',
  'open_weights',
  'license',
  'min_params',
  'max_params',
  'min_context',
  'max_price',
  'provider',
  'servable',
  'q',
] as const;

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
}

function bool(text: string, name: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw invalidRequest(`Invalid '${name}': expected true or false.`, name);
}

function amount(text: string, name: string, unit: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw invalidRequest(`Invalid '${name}': expected ${unit}, 0 or more.`, name);
  return value;
}

/** Filters from query parameters (unset or empty ones are no filter); `min_params`/`max_params` are in billions. */
export function parseFilters(read: (name: string) => string | null | undefined): ModelFilters {
  const filters: ModelFilters = {};
  const get = (name: string): string | undefined => {
    const value = read(name);
    return value === null || value === undefined || value === '' ? undefined : value;
  };
  let value: string | undefined;
  if ((value = get('author'))) filters.authors = list(value);
  if ((value = get('author_country'))) {
    filters.authorCountries = list(value).map((code) => code.toUpperCase());
    const bad = filters.authorCountries.find((code) => !/^[A-Z]{2}$/.test(code));
    if (bad)
      throw invalidRequest(
        `Invalid 'author_country': expected ISO 3166 two-letter codes such as CN or US, got "${bad}".`,
        'author_country',
      );
  }
  if ((value = get('open_weights'))) filters.openWeights = bool(value, 'open_weights');
  if ((value = get('license'))) filters.licenses = list(value);
  if ((value = get('min_params'))) filters.minParameters = amount(value, 'min_params', 'billions of parameters') * 1e9;
  if ((value = get('max_params'))) filters.maxParameters = amount(value, 'max_params', 'billions of parameters') * 1e9;
  if ((value = get('min_context'))) filters.minContext = amount(value, 'min_context', 'a number of tokens');
  if ((value = get('max_price'))) filters.maxPrice = amount(value, 'max_price', 'USD per 1M tokens');
  if ((value = get('provider'))) filters.providers = list(value);
  if ((value = get('servable'))) filters.servable = bool(value, 'servable');
  if ((value = get('q'))) filters.search = value;
  if (filters.minParameters !== undefined && filters.maxParameters !== undefined && filters.minParameters > filters.maxParameters) {
    throw invalidRequest(`Invalid 'min_params': it is above 'max_params'.`, 'min_params');
  }
  return filters;
}
