/**
 * Filtering before choosing: every constraint that removes an endpoint says which one and why, so
 * an empty result can be explained to the client ("z-ai: context needs ~140000 tokens, has 131072").
 */
import type { CatalogEndpoint } from '../catalog/snapshot.js';
import type { ProviderPreferences } from './preferences.js';

/** Why governance refused an endpoint (see governance/policy.ts). */
export interface PolicyRefusal {
  rule: string;
  policy: string;
  scope: string;
  detail: string;
  /** The exclusion's one-line text, cached on the (memoised) refusal. */
  summary?: string;
}

/** Governance as routing sees it: a per-request check, and the error when it leaves nothing. */
export interface PolicyGateLike {
  refusal(entry: CatalogEndpoint): PolicyRefusal | undefined;
  refusedError(modelIds: string[], excluded: Exclusion[]): import('../contract/errors.js').AgoraError;
}

export interface Exclusion {
  endpoint: string;
  provider: string;
  /** A stable vocabulary (OpenRouter's `excluded_by`): provider_disabled, status, only, ignore, order, quantization, data_policy, zdr, verified, max_price, context_length, max_output, parameters. */
  constraint: string;
  detail: string;
  /** Set when governance refused the endpoint (constraint `policy`). */
  refusal?: PolicyRefusal;
}

export interface FilterInput {
  preferences: ProviderPreferences;
  /** Parameters present in the request, from the known vocabulary. */
  requestedParameters: string[];
  promptTokensEstimate: number;
  maxTokens: number | undefined;
  /** The latest host verification of an endpoint (`provider.verified`), if any. */
  verification?: (entry: CatalogEndpoint) => VerificationState | undefined;
}

/** An endpoint's latest host verification against its model's reference endpoint. */
export interface VerificationState {
  status: 'passed' | 'flagged';
  reason: string;
  at: number;
}

function exclusion(entry: CatalogEndpoint, constraint: string, detail: string): Exclusion {
  return { endpoint: entry.key, provider: entry.provider.id, constraint, detail };
}

/** The first constraint an endpoint fails, or undefined when it may serve the request. */
export function firstFailedConstraint(entry: CatalogEndpoint, input: FilterInput): Exclusion | undefined {
  const { preferences } = input;
  const endpoint = entry.endpoint;
  const providerId = entry.provider.id;
  if (!entry.adapter) return exclusion(entry, 'provider_disabled', entry.provider.disabledReason ?? 'provider is switched off');
  if (endpoint.status === 'disabled') return exclusion(entry, 'status', 'endpoint is disabled');
  if (preferences.only && !preferences.only.includes(providerId)) return exclusion(entry, 'only', 'not in provider.only');
  if (preferences.ignore?.includes(providerId)) return exclusion(entry, 'ignore', 'in provider.ignore');
  if (preferences.order && !preferences.allowFallbacks && !preferences.order.includes(providerId)) {
    return exclusion(entry, 'order', 'not in provider.order and allow_fallbacks is false');
  }
  if (preferences.quantizations && !preferences.quantizations.includes(endpoint.quantization ?? 'unknown')) {
    return exclusion(entry, 'quantization', `quantization ${endpoint.quantization ?? 'unknown'} is not in provider.quantizations`);
  }
  const policy = endpoint.dataPolicy;
  if (preferences.zdr && policy.zdr !== true) return exclusion(entry, 'zdr', 'not a zero-data-retention endpoint');
  if (preferences.verified) {
    const state = input.verification?.(entry);
    if (!state) return exclusion(entry, 'verified', 'not verified (agora bench verify has not checked this host)');
    if (state.status !== 'passed') return exclusion(entry, 'verified', `flagged by host verification: ${state.reason}`);
  }
  if (preferences.dataCollection === 'deny' && policy.trainsOnPrompts !== false) {
    return exclusion(entry, 'data_policy', policy.trainsOnPrompts ? 'trains on prompts' : 'does not state that it never trains on prompts');
  }
  const maxPrice = preferences.maxPrice;
  if (maxPrice) {
    const pricing = endpoint.pricing;
    if (maxPrice.prompt !== undefined && pricing.prompt > maxPrice.prompt) {
      return exclusion(entry, 'max_price', `prompt price ${pricing.prompt} > max_price.prompt ${maxPrice.prompt} (USD per 1M tokens)`);
    }
    if (maxPrice.completion !== undefined && pricing.completion > maxPrice.completion) {
      return exclusion(
        entry,
        'max_price',
        `completion price ${pricing.completion} > max_price.completion ${maxPrice.completion} (USD per 1M tokens)`,
      );
    }
    if (maxPrice.request !== undefined && (pricing.request ?? 0) > maxPrice.request) {
      return exclusion(entry, 'max_price', `request price ${pricing.request} > max_price.request ${maxPrice.request}`);
    }
  }
  if (endpoint.maxOutput !== undefined && input.maxTokens !== undefined && input.maxTokens > endpoint.maxOutput) {
    return exclusion(entry, 'max_output', `max_tokens ${input.maxTokens} > this endpoint's max output ${endpoint.maxOutput}`);
  }
  if (endpoint.contextLength !== undefined) {
    const needed = input.promptTokensEstimate + (input.maxTokens ?? 0);
    if (needed > endpoint.contextLength) {
      return exclusion(
        entry,
        'context_length',
        `needs ~${needed} tokens (prompt ~${input.promptTokensEstimate} + max_tokens ${input.maxTokens ?? 0}), context is ${endpoint.contextLength}`,
      );
    }
  }
  if (preferences.requireParameters) {
    const missing = input.requestedParameters.filter((parameter) => !endpoint.supportedParameters.has(parameter));
    if (missing.length > 0) return exclusion(entry, 'parameters', `does not support ${missing.join(', ')}`);
  }
  return undefined;
}
