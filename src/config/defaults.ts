/**
 * The bundled default catalog, merged under the user's config file unless it sets
 * `bundled_catalog: false` (a model or provider the file names replaces the bundled entry with the
 * same id). It is a market: each open model with the third-party hosts that sell it.
 *
 * Two parts:
 * - curated, by hand: the authors and the open-weight models with their facts (bundled-models.ts),
 *   the provider directory of third-party hosts (bundled-providers.ts), and here the authors' own
 *   APIs, the local servers and the models served there, closed ones included;
 * - generated: the hosts' endpoints (bundled-endpoints.ts), written by `npm run catalog:build`, which
 *   runs the LiteLLM importer (catalog/import/litellm.ts, where the join rule is written down) over
 *   the curated models and providers and LiteLLM's price map. A hand-written endpoint of a provider
 *   wins over a generated one for the same model.
 *
 * Prices are list prices in USD per 1M tokens, taken from LiteLLM's price map
 * (`model_prices_and_context_window.json`, MIT, synced 2026-07-24). They may be out of date;
 * `agora models sync` refreshes them. Context windows and output limits come from the same map;
 * ids, display names and `hugging_face_id` follow OpenRouter's model list. A model or endpoint
 * with no price in LiteLLM's map is left out rather than given a guessed price.
 *
 * Tiered prices (hand-written endpoints): where the list price rises above a prompt length, the
 * endpoint lists the first tier and its `context_length` is capped at that tier's limit, so every
 * request routed there is billed at the listed price. (Generated endpoints carry LiteLLM's tiers.)
 *
 * Enable rule (applied in load.ts): a provider is switched on when its `api_key_env` variable is
 * set and, where it has `base_url_env`, when that variable is set too. The local servers (ollama,
 * vllm, llamacpp) have no key, so they switch on when their base-URL variable is set.
 * Every upstream is reached through its OpenAI-compatible API, except Anthropic and Google (native).
 */
import { AUTHORS, OPEN_MODELS } from './bundled-models.js';
import { GENERATED_ENDPOINTS } from './bundled-endpoints.js';
import { HOST_PROVIDERS } from './bundled-providers.js';
import type { CatalogDocumentInput, ConfigFileInput } from './schema.js';

type Pricing = NonNullable<ConfigFileInput['models']>[string]['endpoints'][number]['pricing'];

/** A model on your own hardware: no per-token charge. */
const FREE: Pricing = { prompt: 0, completion: 0 };
/** DeepSeek bills `deepseek-chat` and `deepseek-reasoner` alike (cache hit 0.028). */
const DEEPSEEK: Pricing = { prompt: 0.28, completion: 0.42, cache_read: 0.028 };
/** Moonshot's Kimi K2 0711 and K2 Thinking. */
const KIMI_K2: Pricing = { prompt: 0.6, completion: 2.5, cache_read: 0.15 };
/** Z.ai GLM 4.6 and GLM 4.7. */
const GLM_46: Pricing = { prompt: 0.6, completion: 2.2, cache_read: 0.11 };
/** Claude Sonnet 4 and 4.6 (prompt ≤ 200K for Sonnet 4); cache_write is the 5-minute write (1-hour writes cost 6). */
const CLAUDE_SONNET: Pricing = { prompt: 3, completion: 15, cache_read: 0.3, cache_write: 3.75 };

/** Client regions OpenAI, Anthropic and Google's Gemini API do not serve: China, Hong Kong, Macau, and the comprehensively sanctioned countries. */
const REFUSED_BY_US_LABS = ['CN', 'HK', 'MO', 'RU', 'BY', 'IR', 'KP', 'SY', 'CU'] as const;

/** The authors' own APIs, the local servers, and the models served there. */
const OWN_CATALOG = {
  providers: {
    deepseek: {
      type: 'openai-compatible',
      name: 'DeepSeek',
      base_url: 'https://api.deepseek.com/v1',
      api_key_env: 'DEEPSEEK_API_KEY',
      jurisdiction: 'CN',
      // DeepSeek's privacy policy: personal data is stored on servers in the People's Republic of China.
      datacenters: ['CN'],
    },
    // Alibaba Cloud Model Studio, international edition (served from the Singapore region).
    dashscope: {
      type: 'openai-compatible',
      name: 'Alibaba Cloud (DashScope)',
      base_url: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
      api_key_env: 'DASHSCOPE_API_KEY',
      jurisdiction: 'CN',
      datacenters: ['SG'],
    },
    moonshot: {
      type: 'openai-compatible',
      name: 'Moonshot AI',
      base_url: 'https://api.moonshot.ai/v1',
      api_key_env: 'MOONSHOT_API_KEY',
      jurisdiction: 'CN',
    },
    minimax: {
      type: 'openai-compatible',
      name: 'MiniMax',
      base_url: 'https://api.minimax.io/v1',
      api_key_env: 'MINIMAX_API_KEY',
      jurisdiction: 'CN',
    },
    zhipu: {
      type: 'openai-compatible',
      name: 'Z.ai',
      base_url: 'https://api.z.ai/api/paas/v4',
      api_key_env: 'ZAI_API_KEY',
      jurisdiction: 'CN',
    },
    openai: {
      type: 'openai-compatible',
      name: 'OpenAI',
      base_url: 'https://api.openai.com/v1',
      api_key_env: 'OPENAI_API_KEY',
      jurisdiction: 'US',
      // Not in its published list of supported countries and territories (China, Hong Kong and Macau
      // were cut off in July 2024; the sanctioned countries never were served).
      refused_regions: [...REFUSED_BY_US_LABS],
      // GPT-5.x (platform.openai.com/docs/guides/reasoning): none and xhigh beside the classic four.
      reasoning_efforts: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'],
    },
    // Anthropic's native Messages API (providers/anthropic).
    anthropic: {
      type: 'anthropic',
      name: 'Anthropic',
      base_url: 'https://api.anthropic.com/v1',
      api_key_env: 'ANTHROPIC_API_KEY',
      jurisdiction: 'US',
      // Not in its published list of supported countries and territories (China, Hong Kong and Macau
      // were cut off in July 2024; the sanctioned countries never were served).
      refused_regions: [...REFUSED_BY_US_LABS],
    },
    // Gemini API (Google AI Studio), native (providers/gemini).
    google: {
      type: 'gemini',
      name: 'Google AI Studio',
      base_url: 'https://generativelanguage.googleapis.com/v1beta',
      api_key_env: 'GEMINI_API_KEY',
      jurisdiction: 'US',
      // Not in its published list of supported countries and territories (China, Hong Kong and Macau
      // were cut off in July 2024; the sanctioned countries never were served).
      refused_regions: [...REFUSED_BY_US_LABS],
    },
    // Local servers: on when their base-URL variable is set; base_url is the usual default address.
    ollama: {
      type: 'openai-compatible',
      name: 'Ollama',
      base_url_env: 'OLLAMA_BASE_URL',
      base_url: 'http://127.0.0.1:11434/v1',
      stream_usage: true,
    },
    vllm: {
      type: 'openai-compatible',
      name: 'vLLM',
      base_url_env: 'VLLM_BASE_URL',
      base_url: 'http://127.0.0.1:8000/v1',
      stream_usage: true,
    },
    llamacpp: {
      type: 'openai-compatible',
      name: 'llama.cpp',
      base_url_env: 'LLAMACPP_BASE_URL',
      base_url: 'http://127.0.0.1:8080/v1',
      stream_usage: true,
    },
  },
  models: {
    // DeepSeek. Both upstream names serve DeepSeek's current V3.x model (non-thinking / thinking mode).
    'deepseek/deepseek-chat': {
      name: 'DeepSeek: DeepSeek V3',
      context_length: 131072,
      hugging_face_id: 'deepseek-ai/DeepSeek-V3',
      open_weights: true,
      parameters: { total: 671e9, active: 37e9 },
      release_date: '2024-12-26',
      endpoints: [{ provider: 'deepseek', model: 'deepseek-chat', pricing: DEEPSEEK, max_output: 8192 }],
    },
    'deepseek/deepseek-r1': {
      name: 'DeepSeek: R1',
      context_length: 131072,
      hugging_face_id: 'deepseek-ai/DeepSeek-R1',
      open_weights: true,
      license: 'mit',
      parameters: { total: 671e9, active: 37e9 },
      release_date: '2025-01-20',
      aliases: ['deepseek-r1-671b'],
      endpoints: [{ provider: 'deepseek', model: 'deepseek-reasoner', pricing: DEEPSEEK, max_output: 65536 }],
    },

    // Qwen (Alibaba Cloud).
    'qwen/qwen-max': {
      name: 'Qwen: Qwen-Max',
      context_length: 30720,
      endpoints: [{ provider: 'dashscope', model: 'qwen-max', pricing: { prompt: 1.6, completion: 6.4 }, max_output: 8192 }],
    },
    'qwen/qwen-plus': {
      name: 'Qwen: Qwen-Plus',
      context_length: 129024,
      endpoints: [{ provider: 'dashscope', model: 'qwen-plus', pricing: { prompt: 0.4, completion: 1.2 }, max_output: 16384 }],
    },
    'qwen/qwen-turbo': {
      name: 'Qwen: Qwen-Turbo',
      context_length: 129024,
      endpoints: [
        { provider: 'dashscope', model: 'qwen-turbo', pricing: { prompt: 0.05, completion: 0.2, reasoning: 0.5 }, max_output: 16384 },
      ],
    },
    'qwen/qwen3-coder-plus': {
      // Tiered by prompt length: 0-32K tier listed and the endpoint capped there (32K-128K costs 1.8/9, up to 6/60 above 256K).
      name: 'Qwen: Qwen3 Coder Plus',
      context_length: 997952,
      endpoints: [
        {
          provider: 'dashscope',
          model: 'qwen3-coder-plus',
          pricing: { prompt: 1, completion: 5, cache_read: 0.1 },
          context_length: 32000,
          max_output: 65536,
        },
      ],
    },
    'qwen/qwen3-32b': {
      // DashScope serves qwen3-32b too, but LiteLLM's map has no DashScope price for it.
      name: 'Qwen: Qwen3 32B',
      context_length: 40960,
      hugging_face_id: 'Qwen/Qwen3-32B',
      open_weights: true,
      license: 'apache-2.0',
      parameters: { total: 32e9 },
      endpoints: [{ provider: 'ollama', model: 'qwen3:32b', pricing: FREE }],
    },

    // Moonshot AI. LiteLLM marks the K2 preview and K2 Thinking names deprecated from 2026-05-25; K2.5 and K2.6 are current.
    'moonshotai/kimi-k2': {
      name: 'MoonshotAI: Kimi K2 0711',
      context_length: 131072,
      hugging_face_id: 'moonshotai/Kimi-K2-Instruct',
      open_weights: true,
      license: 'modified-mit',
      parameters: { total: 1e12, active: 32e9 },
      release_date: '2025-07-11',
      aliases: ['kimi-k2-0711-preview'],
      endpoints: [{ provider: 'moonshot', model: 'kimi-k2-0711-preview', pricing: KIMI_K2 }],
    },
    'moonshotai/kimi-k2-thinking': {
      name: 'MoonshotAI: Kimi K2 Thinking',
      context_length: 262144,
      hugging_face_id: 'moonshotai/Kimi-K2-Thinking',
      open_weights: true,
      license: 'modified-mit',
      parameters: { total: 1e12, active: 32e9 },
      release_date: '2025-11-06',
      endpoints: [{ provider: 'moonshot', model: 'kimi-k2-thinking', pricing: KIMI_K2 }],
    },
    'moonshotai/kimi-k2.5': {
      name: 'MoonshotAI: Kimi K2.5',
      context_length: 262144,
      hugging_face_id: 'moonshotai/Kimi-K2.5',
      open_weights: true,
      endpoints: [{ provider: 'moonshot', model: 'kimi-k2.5', pricing: { prompt: 0.6, completion: 3, cache_read: 0.1 } }],
    },
    'moonshotai/kimi-k2.6': {
      name: 'MoonshotAI: Kimi K2.6',
      context_length: 262144,
      hugging_face_id: 'moonshotai/Kimi-K2.6',
      open_weights: true,
      endpoints: [{ provider: 'moonshot', model: 'kimi-k2.6', pricing: { prompt: 0.95, completion: 4, cache_read: 0.16 } }],
    },

    // MiniMax.
    'minimax/minimax-m2': {
      name: 'MiniMax: MiniMax M2',
      context_length: 200000,
      hugging_face_id: 'MiniMaxAI/MiniMax-M2',
      open_weights: true,
      license: 'mit',
      parameters: { total: 230e9, active: 10e9 },
      release_date: '2025-10-27',
      endpoints: [
        {
          provider: 'minimax',
          model: 'MiniMax-M2',
          pricing: { prompt: 0.3, completion: 1.2, cache_read: 0.03, cache_write: 0.375 },
          max_output: 8192,
        },
      ],
    },

    // Z.ai (Zhipu).
    'z-ai/glm-4.5': {
      name: 'Z.ai: GLM 4.5',
      context_length: 128000,
      hugging_face_id: 'zai-org/GLM-4.5',
      open_weights: true,
      license: 'mit',
      parameters: { total: 355e9, active: 32e9 },
      release_date: '2025-07-28',
      endpoints: [{ provider: 'zhipu', model: 'glm-4.5', pricing: { prompt: 0.6, completion: 2.2 }, max_output: 32000 }],
    },
    'z-ai/glm-4.5-air': {
      name: 'Z.ai: GLM 4.5 Air',
      context_length: 128000,
      hugging_face_id: 'zai-org/GLM-4.5-Air',
      open_weights: true,
      license: 'mit',
      parameters: { total: 106e9, active: 12e9 },
      release_date: '2025-07-28',
      endpoints: [{ provider: 'zhipu', model: 'glm-4.5-air', pricing: { prompt: 0.2, completion: 1.1 }, max_output: 32000 }],
    },
    'z-ai/glm-4.6': {
      name: 'Z.ai: GLM 4.6',
      context_length: 200000,
      hugging_face_id: 'zai-org/GLM-4.6',
      open_weights: true,
      license: 'mit',
      parameters: { total: 355e9, active: 32e9 },
      release_date: '2025-09-30',
      aliases: ['zai-glm-4.6'],
      endpoints: [{ provider: 'zhipu', model: 'glm-4.6', pricing: GLM_46, max_output: 128000 }],
    },
    'z-ai/glm-4.7': {
      name: 'Z.ai: GLM 4.7',
      context_length: 200000,
      hugging_face_id: 'zai-org/GLM-4.7',
      open_weights: true,
      aliases: ['zai-glm-4.7'],
      endpoints: [{ provider: 'zhipu', model: 'glm-4.7', pricing: GLM_46, max_output: 128000 }],
    },
    'z-ai/glm-5': {
      name: 'Z.ai: GLM 5',
      context_length: 200000,
      hugging_face_id: 'zai-org/GLM-5',
      open_weights: true,
      endpoints: [{ provider: 'zhipu', model: 'glm-5', pricing: { prompt: 1, completion: 3.2, cache_read: 0.2 }, max_output: 128000 }],
    },

    // OpenAI.
    'openai/gpt-4o': {
      name: 'OpenAI: GPT-4o',
      context_length: 128000,
      endpoints: [{ provider: 'openai', model: 'gpt-4o', pricing: { prompt: 2.5, completion: 10, cache_read: 1.25 }, max_output: 16384 }],
    },
    'openai/gpt-4o-mini': {
      name: 'OpenAI: GPT-4o-mini',
      context_length: 128000,
      endpoints: [
        { provider: 'openai', model: 'gpt-4o-mini', pricing: { prompt: 0.15, completion: 0.6, cache_read: 0.075 }, max_output: 16384 },
      ],
    },
    'openai/gpt-4.1': {
      name: 'OpenAI: GPT-4.1',
      context_length: 1047576,
      endpoints: [{ provider: 'openai', model: 'gpt-4.1', pricing: { prompt: 2, completion: 8, cache_read: 0.5 }, max_output: 32768 }],
    },
    'openai/gpt-4.1-mini': {
      name: 'OpenAI: GPT-4.1 Mini',
      context_length: 1047576,
      endpoints: [
        { provider: 'openai', model: 'gpt-4.1-mini', pricing: { prompt: 0.4, completion: 1.6, cache_read: 0.1 }, max_output: 32768 },
      ],
    },

    // Anthropic.
    'anthropic/claude-sonnet-4': {
      // LiteLLM marks this snapshot deprecated from 2026-05-14. Prompts above 200K cost 6/22.5 (and need the
      // 1M-context beta), so the endpoint is capped at 200K.
      name: 'Anthropic: Claude Sonnet 4',
      context_length: 1000000,
      endpoints: [
        { provider: 'anthropic', model: 'claude-sonnet-4-20250514', pricing: CLAUDE_SONNET, context_length: 200000, max_output: 64000 },
      ],
    },
    'anthropic/claude-sonnet-4.6': {
      name: 'Anthropic: Claude Sonnet 4.6',
      context_length: 1000000,
      endpoints: [{ provider: 'anthropic', model: 'claude-sonnet-4-6', pricing: CLAUDE_SONNET, max_output: 64000 }],
    },
    'anthropic/claude-haiku-4.5': {
      name: 'Anthropic: Claude Haiku 4.5',
      context_length: 200000,
      endpoints: [
        {
          provider: 'anthropic',
          model: 'claude-haiku-4-5-20251001',
          pricing: { prompt: 1, completion: 5, cache_read: 0.1, cache_write: 1.25 },
          max_output: 64000,
        },
      ],
    },

    // Google.
    'google/gemini-2.5-pro': {
      // Prompts above 200K cost 2.5/15 (cache hit 0.25), so the endpoint is capped at 200K.
      name: 'Google: Gemini 2.5 Pro',
      context_length: 1048576,
      endpoints: [
        {
          provider: 'google',
          model: 'gemini-2.5-pro',
          pricing: { prompt: 1.25, completion: 10, cache_read: 0.125 },
          context_length: 200000,
          max_output: 65535,
        },
      ],
    },
    'google/gemini-2.5-flash': {
      name: 'Google: Gemini 2.5 Flash',
      context_length: 1048576,
      endpoints: [
        { provider: 'google', model: 'gemini-2.5-flash', pricing: { prompt: 0.3, completion: 2.5, cache_read: 0.03 }, max_output: 65535 },
      ],
    },

    // Open weights on your own hardware (and at the hosts, generated).
    'meta-llama/llama-3.3-70b-instruct': {
      name: 'Meta: Llama 3.3 70B Instruct',
      context_length: 131072,
      hugging_face_id: 'meta-llama/Llama-3.3-70B-Instruct',
      open_weights: true,
      license: 'llama3.3',
      parameters: { total: 70e9 },
      release_date: '2024-12-06',
      // Groq's, SambaNova's (and OVHcloud's, spelled 3_3) and Scaleway's names for it.
      aliases: ['llama-3.3-70b-versatile', 'Meta-Llama-3.3-70B-Instruct', 'meta/llama-3.3-70b-instruct'],
      endpoints: [
        { provider: 'ollama', model: 'llama3.3:70b', pricing: FREE },
        { provider: 'vllm', model: 'meta-llama/Llama-3.3-70B-Instruct', pricing: FREE },
      ],
    },

    // Embeddings: prompt is the price per 1M input tokens; there is no completion.
    'openai/text-embedding-3-small': {
      name: 'OpenAI: Text Embedding 3 Small',
      kind: 'embedding',
      context_length: 8191,
      endpoints: [{ provider: 'openai', model: 'text-embedding-3-small', pricing: { prompt: 0.02, completion: 0 } }],
    },
    'openai/text-embedding-3-large': {
      name: 'OpenAI: Text Embedding 3 Large',
      kind: 'embedding',
      context_length: 8191,
      endpoints: [{ provider: 'openai', model: 'text-embedding-3-large', pricing: { prompt: 0.13, completion: 0 } }],
    },
    'nomic-ai/nomic-embed-text-v1.5': {
      name: 'Nomic: Nomic Embed Text v1.5',
      kind: 'embedding',
      context_length: 8192,
      hugging_face_id: 'nomic-ai/nomic-embed-text-v1.5',
      open_weights: true,
      license: 'apache-2.0',
      endpoints: [{ provider: 'ollama', model: 'nomic-embed-text', pricing: FREE }],
    },
  },
} satisfies ConfigFileInput;

/** Every hand-written part of the bundled catalog: what `npm run catalog:build` generates endpoints for. */
export const CURATED_CATALOG = {
  authors: AUTHORS,
  providers: { ...OWN_CATALOG.providers, ...HOST_PROVIDERS },
  models: { ...OPEN_MODELS, ...OWN_CATALOG.models },
} satisfies CatalogDocumentInput;

type CuratedModel = NonNullable<CatalogDocumentInput['models']>[string];

/**
 * The curated catalog with the generated endpoints: a model keeps its hand-written endpoints (first,
 * so `endpoints[0]` stays the author's own API) and gains the generated ones of other providers.
 */
function withGenerated(curated: typeof CURATED_CATALOG): CatalogDocumentInput {
  const models: Record<string, CuratedModel> = {};
  for (const [id, model] of Object.entries(curated.models as Record<string, CuratedModel>)) {
    const own = model.endpoints ?? [];
    const taken = new Set(own.map((endpoint) => endpoint.provider));
    const generated = (GENERATED_ENDPOINTS[id] ?? []).filter((endpoint) => !taken.has(endpoint.provider));
    models[id] = { ...model, endpoints: [...own, ...generated] };
  }
  return { authors: curated.authors, providers: curated.providers, models };
}

export const BUNDLED_CATALOG = withGenerated(CURATED_CATALOG);
