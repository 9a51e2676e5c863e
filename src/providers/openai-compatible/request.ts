/** Builds the upstream request: the client's body minus the gateway's own fields, with the upstream model name. */
import type { ResolvedProvider } from '../../config/types.js';
import { GATEWAY_FIELDS, reasoningOf, type ChatRequest, type EmbeddingRequest } from '../../spec/chat-request.js';

/** OpenRouter's `reasoning` → the form this upstream takes (see the provider's `reasoning_param`). */
function mapReasoning(request: ChatRequest, provider: ResolvedProvider, out: Record<string, unknown>): void {
  const reasoning = reasoningOf(request.body);
  if (!reasoning || provider.reasoningParam === 'none') return;
  if (provider.reasoningParam === 'enable_thinking') {
    // Qwen3 on DashScope and vLLM: enable_thinking / thinking_budget (help.aliyun.com, "deep thinking")
    out.enable_thinking = reasoning.enabled !== false && reasoning.effort !== 'none';
    if (reasoning.maxTokens !== undefined) out.thinking_budget = reasoning.maxTokens;
    return;
  }
  if (reasoning.effort !== undefined && out.reasoning_effort === undefined) {
    out.reasoning_effort = reasoning.effort === 'xhigh' || reasoning.effort === 'max' ? 'high' : reasoning.effort;
  }
}

/**
 * Reasoning a client sends back in OpenRouter's form (`reasoning`, `reasoning_details`) goes to an
 * OpenAI-compatible upstream as `reasoning_content` on the assistant turn — the form DeepSeek and
 * Kimi demand on turns with tool calls in thinking mode — and OpenRouter's own fields are left out.
 */
function reasoningHistory(messages: unknown): unknown {
  if (!Array.isArray(messages)) return messages;
  let changed = false;
  const out = messages.map((message: Record<string, unknown>) => {
    if (message?.role !== 'assistant' || (message.reasoning === undefined && message.reasoning_details === undefined)) return message;
    changed = true;
    const { reasoning, reasoning_details: details, ...rest } = message;
    if (rest.reasoning_content !== undefined) return rest;
    const text =
      typeof reasoning === 'string'
        ? reasoning
        : Array.isArray(details)
          ? details.map((detail: Record<string, unknown>) => (typeof detail.text === 'string' ? detail.text : '')).join('')
          : '';
    return text !== '' ? { ...rest, reasoning_content: text } : rest;
  });
  return changed ? out : messages;
}

export function chatBody(request: ChatRequest, upstreamModel: string, provider: ResolvedProvider, stream: boolean): string {
  const out: Record<string, unknown> = {};
  const body = request.body;
  for (const key in body) if (!GATEWAY_FIELDS.has(key)) out[key] = body[key];
  out.messages = reasoningHistory(body.messages);
  out.model = upstreamModel;
  out.stream = stream;
  mapReasoning(request, provider, out);
  if (stream && provider.streamUsage) {
    // Usage is always asked for, so every streamed answer can be metered (OpenRouter does the same).
    out.stream_options = { ...(body.stream_options as Record<string, unknown> | undefined), include_usage: true };
  } else if (!stream) {
    delete out.stream_options;
  }
  return JSON.stringify(out);
}

export function embeddingBody(request: EmbeddingRequest, upstreamModel: string): string {
  const out: Record<string, unknown> = {};
  for (const key in request.body) if (!GATEWAY_FIELDS.has(key)) out[key] = request.body[key];
  out.model = upstreamModel;
  return JSON.stringify(out);
}

export function requestHeaders(provider: ResolvedProvider): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (provider.apiKey) headers.authorization = `Bearer ${provider.apiKey}`;
  for (const [name, value] of Object.entries(provider.headers)) headers[name.toLowerCase()] = value;
  return headers;
}
