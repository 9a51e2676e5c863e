/**
 * The bundled catalog: curated facts plus the endpoints generated from LiteLLM's price map.
 * The generated module must be exactly what `npm run catalog:build` makes from ../shared's map
 * (skipped, with a message, when that folder is absent), and the result must be a market: several
 * hosts, at the source's prices, for the models people ask for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_ENDPOINTS } from '../../config/bundled-endpoints.js';
import { OPEN_MODELS } from '../../config/bundled-models.js';
import { HOST_PROVIDERS, LITELLM_HOSTS } from '../../config/bundled-providers.js';
import { BUNDLED_CATALOG, CURATED_CATALOG } from '../../config/defaults.js';
import { loadConfig } from '../../config/load.js';
import { buildBundledEndpoints, curatedCatalog } from './bundled.js';

const PRICES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'litellm-model-prices.json');
const HAVE_PRICES = existsSync(PRICES);
if (!HAVE_PRICES) console.warn(`skipping the regeneration test: ${PRICES} is absent (the shared folder is not beside the repository)`);

/** Model ids and providers the catalog had before it became a market: tests and users rely on them. */
const EARLIER_MODELS = [
  'deepseek/deepseek-chat',
  'deepseek/deepseek-r1',
  'qwen/qwen-max',
  'qwen/qwen-plus',
  'qwen/qwen-turbo',
  'qwen/qwen3-coder-plus',
  'qwen/qwen3-32b',
  'moonshotai/kimi-k2',
  'moonshotai/kimi-k2-thinking',
  'moonshotai/kimi-k2.5',
  'moonshotai/kimi-k2.6',
  'minimax/minimax-m2',
  'z-ai/glm-4.5',
  'z-ai/glm-4.5-air',
  'z-ai/glm-4.6',
  'z-ai/glm-4.7',
  'z-ai/glm-5',
  'openai/gpt-4o',
  'openai/gpt-4o-mini',
  'openai/gpt-4.1',
  'openai/gpt-4.1-mini',
  'anthropic/claude-sonnet-4',
  'anthropic/claude-sonnet-4.6',
  'anthropic/claude-haiku-4.5',
  'google/gemini-2.5-pro',
  'google/gemini-2.5-flash',
  'meta-llama/llama-3.3-70b-instruct',
  'openai/text-embedding-3-small',
  'openai/text-embedding-3-large',
  'nomic-ai/nomic-embed-text-v1.5',
];
const EARLIER_PROVIDERS = [
  'deepseek',
  'dashscope',
  'moonshot',
  'minimax',
  'zhipu',
  'openai',
  'anthropic',
  'google',
  'ollama',
  'vllm',
  'llamacpp',
];
const AUTHOR_APIS = new Set(['deepseek', 'dashscope', 'moonshot', 'minimax', 'zhipu', 'openai', 'anthropic', 'google', 'mistral']);

describe('the bundled catalog', () => {
  const config = loadConfig({ env: {} });

  it('keeps every earlier model and provider, with the author’s own API first', () => {
    for (const id of EARLIER_MODELS) expect(config.models.has(id), id).toBe(true);
    for (const id of EARLIER_PROVIDERS) expect(config.providers.has(id), id).toBe(true);
    expect(config.models.get('deepseek/deepseek-r1')!.endpoints[0]).toMatchObject({
      providerId: 'deepseek',
      upstreamModel: 'deepseek-reasoner',
    });
    expect(
      config.models
        .get('meta-llama/llama-3.3-70b-instruct')!
        .endpoints.slice(0, 2)
        .map((endpoint) => endpoint.providerId),
    ).toEqual(['ollama', 'vllm']);
    expect(config.warnings).toEqual([]);
  });

  it('names every curated model once, with the facts the join needs', () => {
    const own = Object.keys(CURATED_CATALOG.models).length;
    expect(own).toBe(Object.keys(OPEN_MODELS).length + EARLIER_MODELS.length);
    for (const [id, model] of Object.entries(OPEN_MODELS)) {
      expect(model.open_weights, id).toBe(true);
      expect(model.hugging_face_id, id).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(Object.hasOwn(CURATED_CATALOG.authors, id.slice(0, id.indexOf('/'))), `author of ${id}`).toBe(true);
    }
  });

  it('lists each host with a documented base URL and key variable, switched off until the key is set', () => {
    for (const [id, provider] of Object.entries(HOST_PROVIDERS)) {
      expect(provider.base_url, id).toMatch(/^https:\/\//);
      expect(provider.api_key_env, id).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(config.providers.get(id)!.enabled, id).toBe(false);
      expect(loadConfig({ env: { [provider.api_key_env]: 'sk-test-0001' } }).providers.get(id)!.enabled, id).toBe(true);
    }
    expect([...config.providers.values()].filter((provider) => provider.enabled)).toEqual([]);
    for (const host of Object.values(LITELLM_HOSTS)) expect(config.providers.has(host.provider), host.provider).toBe(true);
  });

  it('generates endpoints only for curated open-weight models, at catalog providers, never over a hand-written one', () => {
    const curated = curatedCatalog();
    for (const [id, endpoints] of Object.entries(GENERATED_ENDPOINTS)) {
      const model = curated.models.get(id);
      expect(model?.openWeights, id).toBe(true);
      const own = new Set(model!.endpoints.map((endpoint) => endpoint.providerId));
      for (const endpoint of endpoints) {
        expect(config.providers.has(endpoint.provider), `${id}@${endpoint.provider}`).toBe(true);
        expect(own.has(endpoint.provider), `${id}@${endpoint.provider}`).toBe(false);
      }
      expect(new Set(endpoints.map((endpoint) => endpoint.provider)).size, id).toBe(endpoints.length);
    }
    expect(BUNDLED_CATALOG.models!['deepseek/deepseek-r1']!.endpoints!.length).toBeGreaterThan(1);
  });

  it('is a market: at least five hosts besides the author for DeepSeek R1 and Llama 3.3 70B Instruct', () => {
    for (const id of ['deepseek/deepseek-r1', 'meta-llama/llama-3.3-70b-instruct']) {
      const hosts = config.models
        .get(id)!
        .endpoints.filter((endpoint) => Object.hasOwn(HOST_PROVIDERS, endpoint.providerId) && !AUTHOR_APIS.has(endpoint.providerId));
      expect(hosts.length, id).toBeGreaterThanOrEqual(5);
      for (const endpoint of hosts)
        expect(endpoint.pricing.prompt + endpoint.pricing.completion, `${id}@${endpoint.providerId}`).toBeGreaterThan(0);
    }
  });
});

describe.skipIf(!HAVE_PRICES)('the generated endpoints against ../shared/data/litellm-model-prices.json', () => {
  const text = HAVE_PRICES ? readFileSync(PRICES, 'utf8') : '{}';
  const source = JSON.parse(text) as Record<string, Record<string, unknown>>;

  it('are exactly what `npm run catalog:build` makes from the map', () => {
    const build = buildBundledEndpoints(source);
    expect(JSON.parse(JSON.stringify(GENERATED_ENDPOINTS))).toEqual(build.endpoints);
  });

  it('carry the prompt and completion prices of an entry of that provider and name', () => {
    const byProvider = new Map<string, string[]>();
    for (const [litellm, host] of Object.entries(LITELLM_HOSTS))
      byProvider.set(host.provider, [...(byProvider.get(host.provider) ?? []), litellm]);
    for (const [id, endpoints] of Object.entries(GENERATED_ENDPOINTS)) {
      for (const endpoint of endpoints) {
        const names = [endpoint.model, endpoint.model.replace(/^accounts\/fireworks\/models\//, '')];
        const entries = Object.entries(source).filter(
          ([key, entry]) =>
            byProvider.get(endpoint.provider)!.includes(entry?.litellm_provider as string) &&
            names.some((name) => key === name || key.endsWith(`/${name}`)),
        );
        const label = `${id}@${endpoint.provider} (${endpoint.model})`;
        expect(entries.length, label).toBeGreaterThan(0);
        const pricing = endpoint.pricing as { prompt: number; completion: number };
        const matches = entries.some(
          ([, entry]) =>
            Math.abs(pricing.prompt - Number(entry.input_cost_per_token ?? NaN) * 1e6) < 1e-9 &&
            Math.abs(pricing.completion - Number(entry.output_cost_per_token ?? (entry.mode === 'embedding' ? 0 : NaN)) * 1e6) < 1e-9,
        );
        const tiered = entries.some(([, entry]) => Array.isArray(entry.tiered_pricing));
        expect(matches || tiered, label).toBe(true);
      }
    }
  });
});
