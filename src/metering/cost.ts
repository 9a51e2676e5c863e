/**
 * Cost of one generation from its reported usage and the endpoint's prices, exact in picodollars
 * and rounded once to nanodollars (lib/money.ts). Token kinds follow OpenAI's usage semantics:
 * cached and cache-write tokens are part of `prompt_tokens`, reasoning tokens part of
 * `completion_tokens`. A long-context tier prices the whole request at its rates once the prompt
 * passes its threshold (Gemini and Anthropic list prices work this way).
 */
import { picosToNanos, picosToUsd, type PicoPricing } from '../lib/money.js';
import type { Usage } from '../contract/usage.js';

export interface Cost {
  /** What is charged, in nanodollars. */
  totalNanos: number;
  /** Exact parts in picodollars. */
  prompt: bigint;
  cacheRead: bigint;
  cacheWrite: bigint;
  completion: bigint;
  reasoning: bigint;
  request: bigint;
}

export const ZERO_COST: Cost = { totalNanos: 0, prompt: 0n, cacheRead: 0n, cacheWrite: 0n, completion: 0n, reasoning: 0n, request: 0n };

function ratesFor(pricing: PicoPricing, promptTokens: number): Pick<PicoPricing, 'prompt' | 'completion' | 'cacheRead' | 'cacheWrite'> {
  let rates: Pick<PicoPricing, 'prompt' | 'completion' | 'cacheRead' | 'cacheWrite'> = pricing;
  for (const tier of pricing.tiers) if (promptTokens > tier.abovePromptTokens) rates = tier;
  return rates;
}

export function computeCost(usage: Usage | undefined, pricing: PicoPricing): Cost {
  if (!usage) return ZERO_COST;
  const promptTokens = usage.promptTokens ?? 0;
  const completionTokens = usage.completionTokens ?? 0;
  const cached = Math.min(usage.cachedTokens ?? 0, promptTokens);
  const cacheWrite = Math.min(usage.cacheWriteTokens ?? 0, promptTokens - cached);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, completionTokens);
  const rates = ratesFor(pricing, promptTokens);
  const prompt = BigInt(promptTokens - cached - cacheWrite) * rates.prompt;
  const cacheRead = BigInt(cached) * rates.cacheRead;
  const cacheWriteCost = BigInt(cacheWrite) * rates.cacheWrite;
  const reasoningRate = pricing.reasoning === pricing.completion ? rates.completion : pricing.reasoning;
  const reasoningCost = BigInt(reasoning) * reasoningRate;
  const completion = BigInt(completionTokens - reasoning) * rates.completion;
  const total = prompt + cacheRead + cacheWriteCost + reasoningCost + completion + pricing.request;
  return {
    totalNanos: picosToNanos(total),
    prompt,
    cacheRead,
    cacheWrite: cacheWriteCost,
    completion,
    reasoning: reasoningCost,
    request: pricing.request,
  };
}

/** The most a request can cost: the prompt estimate at the prompt rate plus every output token it may produce. */
export function maximumCost(promptTokens: number, outputTokens: number, pricing: PicoPricing): number {
  const rates = ratesFor(pricing, promptTokens);
  const completionRate = rates.completion > pricing.reasoning ? rates.completion : pricing.reasoning;
  const cacheWriteRate = rates.cacheWrite > rates.prompt ? rates.cacheWrite : rates.prompt;
  return picosToNanos(BigInt(promptTokens) * cacheWriteRate + BigInt(outputTokens) * completionRate + pricing.request);
}

/** OpenRouter's `usage.cost` and `usage.cost_details`, in USD. */
export function costFields(cost: Cost): { cost: number; cost_details: Record<string, number> } {
  const promptSide = cost.prompt + cost.cacheRead + cost.cacheWrite + cost.request;
  const completionSide = cost.completion + cost.reasoning;
  return {
    cost: picosToUsd(BigInt(cost.totalNanos) * 1000n),
    cost_details: {
      upstream_inference_cost: picosToUsd(BigInt(cost.totalNanos) * 1000n),
      upstream_inference_prompt_cost: picosToUsd(promptSide),
      upstream_inference_completions_cost: picosToUsd(completionSide),
      cache_read_cost: picosToUsd(cost.cacheRead),
      cache_write_cost: picosToUsd(cost.cacheWrite),
      reasoning_cost: picosToUsd(cost.reasoning),
      request_cost: picosToUsd(cost.request),
    },
  };
}
