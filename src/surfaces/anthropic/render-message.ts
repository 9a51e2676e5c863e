/**
 * The canonical answer → Anthropic's `message` object, and errors → Anthropic's error shape
 * `{"type": "error", "error": {"type", "message"}}` (docs.anthropic.com/en/api/errors).
 */
import type { ChatCompletion, UsageBody } from '../../contract/chat-types.js';
import type { AgoraError } from '../../contract/errors.js';

type Json = Record<string, unknown>;

const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
  error: 'end_turn',
};

export function stopReason(finish: string | null | undefined): string | null {
  if (finish === null || finish === undefined) return null;
  return STOP_REASONS[finish] ?? 'end_turn';
}

/** OpenAI-shaped usage (with our cost) → Anthropic usage; input excludes cache reads and writes, as Anthropic counts it. */
export function anthropicUsage(usage: UsageBody | null | undefined): Json {
  const prompt = usage?.prompt_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, prompt - cached - written),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: written,
    ...(usage?.cost !== undefined ? { cost: usage.cost, cost_details: usage.cost_details } : {}),
  };
}

function parseArguments(text: string | undefined): unknown {
  if (text === undefined || text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return { _raw: text }; // an upstream sent arguments that are not JSON: keep them visible rather than lose them
  }
}

/** A whole canonical completion (id, model and usage already the gateway's) → an Anthropic message. */
export function anthropicMessage(body: ChatCompletion): Json {
  const choice = body.choices[0];
  const message = choice?.message;
  const content: Json[] = [];
  const details = message?.reasoning_details ?? [];
  if (details.length > 0) {
    // Thinking blocks as the upstream gave them, each with its signature (Anthropic checks them on the next turn).
    for (const detail of details) {
      if (detail.type === 'reasoning.text')
        content.push({ type: 'thinking', thinking: detail.text ?? '', signature: detail.signature ?? '' });
      else if (detail.type === 'reasoning.encrypted' && detail.data !== undefined)
        content.push({ type: 'redacted_thinking', data: detail.data });
    }
  } else {
    const reasoning = message?.reasoning_content ?? message?.reasoning ?? '';
    // Reasoning from a vendor without signatures (DeepSeek, Qwen…): there is none to give.
    if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  }
  if (message?.content) content.push({ type: 'text', text: message.content });
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
  }
  return {
    id: body.id,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(body.usage),
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'request_too_large',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function anthropicErrorBody(error: AgoraError): Json {
  return { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message } };
}
