/**
 * The provider directory of the bundled catalog: the third-party hosts that sell open models through
 * an OpenAI-compatible API, and the table that names them in LiteLLM's price map.
 *
 * Sources, per field: `base_url` and `api_key_env` are the defaults LiteLLM's own code or docs use
 * for the provider (litellm `get_llm_provider_logic.py`, `llms/openai_like/providers.json`, the
 * provider classes for Fireworks, DeepInfra, Nscale, and docs.litellm.ai/docs/providers/lambda_ai);
 * where LiteLLM reads several key variables, the one the vendor documents comes first and is used
 * (TOGETHER_API_KEY, FIREWORKS_API_KEY). `jurisdiction` is the company's headquarters, left out where
 * not certain (Novita, GMI Cloud). Data-centre countries and data policies are left out: none was
 * checked against a published statement, so none is claimed. A provider switches on when its key
 * variable is set (load.ts).
 */
import type { ConfigFileInput } from './schema.js';

type ProviderInput = NonNullable<ConfigFileInput['providers']>[string];

export const HOST_PROVIDERS = {
  deepinfra: {
    name: 'DeepInfra',
    base_url: 'https://api.deepinfra.com/v1/openai',
    api_key_env: 'DEEPINFRA_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://deepinfra.com',
  },
  fireworks: {
    name: 'Fireworks',
    base_url: 'https://api.fireworks.ai/inference/v1',
    api_key_env: 'FIREWORKS_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://fireworks.ai',
  },
  together: {
    name: 'Together',
    base_url: 'https://api.together.xyz/v1',
    api_key_env: 'TOGETHER_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://www.together.ai',
  },
  hyperbolic: {
    name: 'Hyperbolic',
    base_url: 'https://api.hyperbolic.xyz/v1',
    api_key_env: 'HYPERBOLIC_API_KEY',
    jurisdiction: 'US',
  },
  // Nebius AI Studio (LiteLLM's default base URL); the company is headquartered in Amsterdam.
  nebius: {
    name: 'Nebius AI Studio',
    base_url: 'https://api.studio.nebius.ai/v1',
    api_key_env: 'NEBIUS_API_KEY',
    jurisdiction: 'NL',
    homepage: 'https://nebius.com',
  },
  sambanova: {
    name: 'SambaNova',
    base_url: 'https://api.sambanova.ai/v1',
    api_key_env: 'SAMBANOVA_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://sambanova.ai',
  },
  lambda: {
    name: 'Lambda',
    base_url: 'https://api.lambda.ai/v1',
    api_key_env: 'LAMBDA_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://lambda.ai',
  },
  crusoe: {
    name: 'Crusoe',
    base_url: 'https://managed-inference-api-proxy.crusoecloud.com/v1',
    api_key_env: 'CRUSOE_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://crusoe.ai',
  },
  novita: {
    name: 'Novita AI',
    base_url: 'https://api.novita.ai/v3/openai',
    api_key_env: 'NOVITA_API_KEY',
    homepage: 'https://novita.ai',
  },
  groq: {
    name: 'Groq',
    base_url: 'https://api.groq.com/openai/v1',
    api_key_env: 'GROQ_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://groq.com',
  },
  cerebras: {
    name: 'Cerebras',
    base_url: 'https://api.cerebras.ai/v1',
    api_key_env: 'CEREBRAS_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://www.cerebras.ai',
  },
  nscale: {
    name: 'Nscale',
    base_url: 'https://inference.api.nscale.com/v1',
    api_key_env: 'NSCALE_API_KEY',
    jurisdiction: 'GB',
    homepage: 'https://www.nscale.com',
  },
  // OpenRouter, as `agora models sync --from openrouter` writes it (catalog/import/openrouter.ts).
  openrouter: {
    name: 'OpenRouter',
    base_url: 'https://openrouter.ai/api/v1',
    api_key_env: 'OPENROUTER_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://openrouter.ai',
  },
  gmi: {
    name: 'GMI Cloud',
    base_url: 'https://api.gmi-serving.com/v1',
    api_key_env: 'GMI_API_KEY',
  },
  // Baseten's Model APIs (shared endpoints); dedicated deployments have their own URLs.
  baseten: {
    name: 'Baseten',
    base_url: 'https://inference.baseten.co/v1',
    api_key_env: 'BASETEN_API_KEY',
    jurisdiction: 'US',
    homepage: 'https://www.baseten.co',
  },
  // Scaleway Generative APIs; LiteLLM reads Scaleway's own secret-key variable.
  scaleway: {
    name: 'Scaleway',
    base_url: 'https://api.scaleway.ai/v1',
    api_key_env: 'SCW_SECRET_KEY',
    jurisdiction: 'FR',
    homepage: 'https://www.scaleway.com',
  },
  ovhcloud: {
    name: 'OVHcloud AI Endpoints',
    base_url: 'https://oai.endpoints.kepler.ai.cloud.ovh.net/v1',
    api_key_env: 'OVHCLOUD_API_KEY',
    jurisdiction: 'FR',
    homepage: 'https://www.ovhcloud.com',
  },
  // Mistral AI's own API (La Plateforme), for Mistral's open-weight models.
  mistral: {
    name: 'Mistral AI',
    base_url: 'https://api.mistral.ai/v1',
    api_key_env: 'MISTRAL_API_KEY',
    jurisdiction: 'FR',
    homepage: 'https://mistral.ai',
  },
} satisfies Record<string, ProviderInput>;

/** How one `litellm_provider` of LiteLLM's price map is reached in the catalog. */
export interface LiteLLMHost {
  /** The catalog provider id. */
  provider: string;
  /** The keys' prefix when it is not `litellm_provider/` (Fireworks' embedding models are keyed `fireworks_ai/…`). */
  keyPrefix?: string;
  /** What the host's API expects before a bare model name (Fireworks: `accounts/fireworks/models/`); stripped for the join. */
  modelPrefix?: string;
  /**
   * Trailing name tokens that name the host's serving tier of unchanged weights, not another model
   * (see the join rule in catalog/import/litellm.ts). Only Together's: its `-Turbo` and `-tput` models
   * are its own deployments of the author's checkpoint, and the only way it sells several of them.
   */
  tiers?: readonly string[];
}

/**
 * `litellm_provider` → catalog provider. A provider not named here is reported by the importer
 * ("provider X is not in the catalog"); W&B Inference (`wandb`) is left out because its API wants a
 * team/project besides the key, and most of its entries in the map are priced in another unit.
 */
export const LITELLM_HOSTS: Readonly<Record<string, LiteLLMHost>> = {
  // The authors' own APIs (providers in defaults.ts).
  deepseek: { provider: 'deepseek' },
  dashscope: { provider: 'dashscope' },
  moonshot: { provider: 'moonshot' },
  minimax: { provider: 'minimax' },
  zai: { provider: 'zhipu' },
  openai: { provider: 'openai' },
  anthropic: { provider: 'anthropic' },
  gemini: { provider: 'google' },
  mistral: { provider: 'mistral' },
  // Third-party hosts.
  deepinfra: { provider: 'deepinfra' },
  fireworks_ai: { provider: 'fireworks', modelPrefix: 'accounts/fireworks/models/' },
  'fireworks_ai-embedding-models': { provider: 'fireworks', keyPrefix: 'fireworks_ai/' },
  together_ai: { provider: 'together', tiers: ['turbo', 'tput'] },
  hyperbolic: { provider: 'hyperbolic' },
  nebius: { provider: 'nebius' },
  sambanova: { provider: 'sambanova' },
  lambda_ai: { provider: 'lambda' },
  crusoe: { provider: 'crusoe' },
  novita: { provider: 'novita' },
  groq: { provider: 'groq' },
  cerebras: { provider: 'cerebras' },
  nscale: { provider: 'nscale' },
  openrouter: { provider: 'openrouter' },
  gmi: { provider: 'gmi' },
  baseten: { provider: 'baseten' },
  scaleway: { provider: 'scaleway' },
  ovhcloud: { provider: 'ovhcloud' },
};
