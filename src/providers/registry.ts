/** Provider type → adapter factory. The only place that knows which adapters exist. */
import type { ProviderType } from '../config/schema.js';
import type { ResolvedProvider } from '../config/types.js';
import type { AdapterFactory, ProviderAdapter } from '../contract/provider-adapter.js';
import { createAnthropicAdapter } from './anthropic/adapter.js';
import { createGeminiAdapter } from './gemini/adapter.js';
import { createLocalAdapter } from './local/adapter.js';
import { createOpenAICompatibleAdapter } from './openai-compatible/adapter.js';

export const ADAPTER_FACTORIES: Record<ProviderType, AdapterFactory> = {
  'openai-compatible': createOpenAICompatibleAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
  local: createLocalAdapter,
};

export function createAdapter(provider: ResolvedProvider): ProviderAdapter {
  return ADAPTER_FACTORIES[provider.type](provider);
}
