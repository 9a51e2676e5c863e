/** Why a generation ended: one unified value plus what the upstream actually said. */
export type UnifiedFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

export interface FinishReason {
  unified: UnifiedFinishReason;
  raw: string | null;
}

const KNOWN: Record<string, UnifiedFinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  error: 'error',
  // Some OpenAI-compatible servers (older vLLM, llama.cpp) use these spellings.
  eos: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  // Anthropic's own words, as a stream records them (the record keeps what the upstream said).
  end_turn: 'stop',
  pause_turn: 'stop',
  refusal: 'content_filter',
  model_context_window_exceeded: 'length',
};

export function finishReasonFromOpenAI(raw: unknown): FinishReason | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  return { unified: KNOWN[raw] ?? 'other', raw };
}
