/**
 * Builds the generated part of the bundled catalog (config/bundled-endpoints.ts): the LiteLLM
 * importer run over the curated catalog (its models and providers, nothing else) and LiteLLM's price
 * map. Only open-weight models get generated endpoints (the closed models stay as curated, at their
 * authors' APIs), and endpoints of a provider a curated model already lists by hand are left to the
 * hand-written ones. Used by `npm run catalog:build` and by the test that the committed file is what
 * it makes.
 */
import { CURATED_CATALOG } from '../../config/defaults.js';
import { loadConfig } from '../../config/load.js';
import type { ResolvedConfig } from '../../config/types.js';
import { importLiteLLM } from './litellm.js';
import type { ImportResult } from './types.js';

export type GeneratedEndpoints = Record<string, Array<Record<string, unknown>>>;

export interface BundledBuild {
  endpoints: GeneratedEndpoints;
  result: ImportResult;
  /** Joined entries left out because the curated model lists that provider by hand (`model@provider`). */
  keptCurated: string[];
  /** Joined entries left out because the model's weights are not open (`model@provider`). */
  closed: string[];
  /** The curated catalog the join ran against. */
  catalog: ResolvedConfig;
}

/** The curated catalog alone, resolved (no config file, no bundled endpoints, no environment). */
export function curatedCatalog(): ResolvedConfig {
  return loadConfig({ text: 'bundled_catalog: false\n', file: '<curated catalog>', env: {}, synced: CURATED_CATALOG });
}

export function buildBundledEndpoints(prices: unknown): BundledBuild {
  const catalog = curatedCatalog();
  const result = importLiteLLM(prices, { catalog });
  const endpoints: GeneratedEndpoints = {};
  const keptCurated: string[] = [];
  const closed: string[] = [];
  for (const [id, model] of Object.entries(result.document.models ?? {})) {
    const curated = catalog.models.get(id);
    const own = new Set(curated?.endpoints.map((endpoint) => endpoint.providerId));
    const generated: Array<Record<string, unknown>> = [];
    for (const endpoint of model.endpoints ?? []) {
      if (curated?.openWeights !== true) closed.push(`${id}@${String(endpoint.provider)}`);
      else if (own.has(String(endpoint.provider))) keptCurated.push(`${id}@${String(endpoint.provider)}`);
      else generated.push(endpoint as Record<string, unknown>);
    }
    if (generated.length > 0) endpoints[id] = generated;
  }
  return { endpoints, result, keptCurated, closed, catalog };
}
