/** An Anthropic `message` → the canonical (OpenAI `chat.completion`) answer, usage in OpenAI's terms. */
import type { ChatResult } from '../../spec/chat-event.js';
import { finishReasonFromOpenAI } from '../../spec/finish-reason.js';
import { usageFromOpenAI } from '../../spec/usage.js';
import { malformedResponse } from '../upstream-errors.js';

type Json = Record<string, unknown>;

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  pause_turn: 'stop',
  model_context_window_exceeded: 'length',
};

export function finishFromAnthropic(reason: unknown): string | null {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'stop') : null;
}

/** Anthropic counts cache reads and writes apart from input_tokens; OpenAI's prompt_tokens include them. */
export function usageToOpenAI(usage: unknown): Json | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const value = usage as Json;
  const input = typeof value.input_tokens === 'number' ? value.input_tokens : 0;
  const read = typeof value.cache_read_input_tokens === 'number' ? value.cache_read_input_tokens : 0;
  const written = typeof value.cache_creation_input_tokens === 'number' ? value.cache_creation_input_tokens : 0;
  const output = typeof value.output_tokens === 'number' ? value.output_tokens : undefined;
  const prompt = input + read + written;
  return {
    prompt_tokens: prompt,
    ...(output !== undefined ? { completion_tokens: output, total_tokens: prompt + output } : {}),
    prompt_tokens_details: { cached_tokens: read, cache_write_tokens: written },
  };
}

export function chatResultFromAnthropic(text: string, providerName: string): ChatResult {
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    throw malformedResponse(providerName, 'the body is not valid JSON');
  }
  if (!Array.isArray(body.content)) throw malformedResponse(providerName, "no 'content' array");
  let content = '';
  let reasoning = '';
  const details: Json[] = [];
  const toolCalls: Json[] = [];
  for (const block of body.content as Json[]) {
    if (block.type === 'text') content += String(block.text ?? '');
    else if (block.type === 'thinking') {
      reasoning += String(block.thinking ?? '');
      details.push({
        type: 'reasoning.text',
        text: block.thinking ?? '',
        signature: block.signature ?? null,
        format: 'anthropic-claude-v1',
        index: details.length,
      });
    } else if (block.type === 'redacted_thinking') {
      details.push({ type: 'reasoning.encrypted', data: block.data, format: 'anthropic-claude-v1', index: details.length });
    } else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const finish = finishFromAnthropic(body.stop_reason);
  const message: Json = { role: 'assistant', content: content === '' && toolCalls.length > 0 ? null : content };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '' || details.length > 0) {
    message.reasoning = reasoning;
    message.reasoning_details = details;
  }
  const usage = usageToOpenAI(body.usage);
  const canonical: ChatResult['body'] = {
    id: body.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message, finish_reason: finish, native_finish_reason: body.stop_reason ?? null, logprobs: null }],
    ...(usage ? { usage } : {}),
  };
  return {
    body: canonical,
    usage: usageFromOpenAI(usage),
    finishReason: finishReasonFromOpenAI(finish),
    upstreamId: typeof body.id === 'string' ? body.id : undefined,
  };
}
