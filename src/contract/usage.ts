/**
 * Token usage as an upstream reported it. Unknown is not zero: a counter the upstream did not send
 * stays undefined, and the raw object is kept for the record.
 */
export interface Usage {
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  totalTokens: number | undefined;
  /** Prompt tokens read from the provider's cache (OpenAI `prompt_tokens_details.cached_tokens`). */
  cachedTokens: number | undefined;
  /** Prompt tokens written to the cache (Anthropic-style cache creation). */
  cacheWriteTokens: number | undefined;
  /** Completion tokens spent on reasoning (`completion_tokens_details.reasoning_tokens`). */
  reasoningTokens: number | undefined;
  raw: unknown;
}

/** A token count as reported: a whole number (an upstream's fraction is rounded, half up; the raw object keeps it), or unknown. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER
    ? Math.round(value)
    : undefined;
}

/** Reads an OpenAI-shaped `usage` object (also DeepSeek's `prompt_cache_hit_tokens`). */
export function usageFromOpenAI(raw: unknown): Usage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  const promptDetails = (usage.prompt_tokens_details ?? undefined) as Record<string, unknown> | undefined;
  const completionDetails = (usage.completion_tokens_details ?? undefined) as Record<string, unknown> | undefined;
  const promptTokens = count(usage.prompt_tokens);
  const completionTokens = count(usage.completion_tokens);
  return {
    promptTokens,
    completionTokens,
    totalTokens:
      count(usage.total_tokens) ??
      (promptTokens !== undefined && completionTokens !== undefined ? promptTokens + completionTokens : undefined),
    // DeepSeek reports cache hits as `prompt_cache_hit_tokens` (api-docs.deepseek.com, "Context Caching").
    cachedTokens: count(promptDetails?.cached_tokens) ?? count(usage.prompt_cache_hit_tokens),
    cacheWriteTokens: count(promptDetails?.cache_write_tokens),
    reasoningTokens: count(completionDetails?.reasoning_tokens),
    raw,
  };
}
