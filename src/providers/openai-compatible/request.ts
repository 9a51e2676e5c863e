/** Builds the upstream request: the client's body minus the gateway's own fields, with the upstream model name. */
import { REASONING_EFFORTS, type ReasoningEffort } from '../../config/schema.js';
import type { ResolvedProvider } from '../../config/types.js';
import { GATEWAY_FIELDS, reasoningOf, type ChatRequest, type EmbeddingRequest } from '../../contract/chat-request.js';

/** What `reasoning_effort` values an OpenAI-compatible server takes when its config does not say (OpenAI's classic four). */
const DEFAULT_EFFORTS: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];

/**
 * The effort to send for `wanted`: itself when the upstream takes it, else the nearest it takes
 * (ties go to the lower effort). Returns the effort and whether it changed.
 */
export function nearestEffort(wanted: ReasoningEffort, supported: readonly ReasoningEffort[]): ReasoningEffort {
  if (supported.includes(wanted)) return wanted;
  const rank = REASONING_EFFORTS.indexOf(wanted);
  let best = supported[0]!;
  for (const candidate of supported) {
    const distance = Math.abs(REASONING_EFFORTS.indexOf(candidate) - rank);
    const bestDistance = Math.abs(REASONING_EFFORTS.indexOf(best) - rank);
    if (distance < bestDistance || (distance === bestDistance && REASONING_EFFORTS.indexOf(candidate) < REASONING_EFFORTS.indexOf(best)))
      best = candidate;
  }
  return best;
}

/**
 * OpenRouter's `reasoning` → the form this upstream takes (see the provider's `reasoning_param`).
 * An effort the upstream does not take is sent as the nearest one it does, and named in `adjusted`.
 */
function mapReasoning(request: ChatRequest, provider: ResolvedProvider, out: Record<string, unknown>, adjusted: string[]): void {
  const reasoning = reasoningOf(request.body);
  if (!reasoning || provider.reasoningParam === 'none') return;
  if (provider.reasoningParam === 'enable_thinking') {
    // Qwen3 on DashScope and vLLM: enable_thinking / thinking_budget (help.aliyun.com, "deep thinking")
    out.enable_thinking = reasoning.enabled !== false && reasoning.effort !== 'none';
    if (reasoning.maxTokens !== undefined) out.thinking_budget = reasoning.maxTokens;
    return;
  }
  if (reasoning.effort !== undefined && out.reasoning_effort === undefined) {
    const sent = nearestEffort(reasoning.effort, provider.reasoningEfforts ?? DEFAULT_EFFORTS);
    out.reasoning_effort = sent;
    if (sent !== reasoning.effort) adjusted.push(`reasoning.effort=${reasoning.effort}->${sent}`);
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

/** The upstream body (JSON) and the parameters sent other than asked (`x-agora-adjusted-parameters`). */
export function chatBody(
  request: ChatRequest,
  upstreamModel: string,
  provider: ResolvedProvider,
  stream: boolean,
): { text: string; adjusted: string[] } {
  const adjusted: string[] = [];
  const out: Record<string, unknown> = {};
  const body = request.body;
  for (const key in body) if (!GATEWAY_FIELDS.has(key)) out[key] = body[key];
  out.messages = reasoningHistory(body.messages);
  out.model = upstreamModel;
  out.stream = stream;
  mapReasoning(request, provider, out, adjusted);
  if (stream && provider.streamUsage) {
    // Usage is always asked for, so every streamed answer can be metered (OpenRouter does the same).
    out.stream_options = { ...(body.stream_options as Record<string, unknown> | undefined), include_usage: true };
  } else if (!stream) {
    delete out.stream_options;
  }
  return { text: JSON.stringify(out), adjusted };
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
