/**
 * Canonical (OpenAI Chat Completions) request → Anthropic Messages request
 * (docs.anthropic.com/en/api/messages). The parameter contract: what maps, what is dropped with a
 * warning (reported in `x-agora-dropped-parameters`), what is refused with a 400 naming it.
 */
import type { ResolvedProvider } from '../../config/types.js';
import { GATEWAY_FIELDS, reasoningOf, type ChatRequest } from '../../spec/chat-request.js';
import { invalidRequest, preview } from '../../spec/errors.js';

type Json = Record<string, unknown>;

/**
 * Parameters whose loss would change what the client gets back: refused with a 400. Every other
 * OpenAI parameter without an Anthropic equivalent (frequency_penalty, presence_penalty, seed,
 * logit_bias, response_format, …) is left out and reported in `x-agora-dropped-parameters`.
 */
const REFUSED: Record<string, (value: unknown) => boolean> = {
  logprobs: (value) => value === true,
  top_logprobs: (value) => typeof value === 'number' && value > 0,
  n: (value) => typeof value === 'number' && value > 1,
};
const MAPPED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'user',
  'metadata',
  'reasoning_effort',
]);

/** The effort → thinking budget OpenRouter documents (a share of max_tokens, at least 1,024). */
const EFFORT_SHARE: Record<string, number> = { minimal: 0.1, low: 0.2, medium: 0.5, high: 0.8, xhigh: 0.95, max: 0.95 };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof (part as Json)?.text === 'string' ? ((part as Json).text as string) : '')).join('');
  return '';
}

function imageBlock(url: string): Json {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (match) return { type: 'image', source: { type: 'base64', media_type: match[1], data: match[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function userBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return (content as Json[]).map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    if (part.type === 'image_url') {
      const image = part.image_url as Json | string;
      return imageBlock(typeof image === 'string' ? image : String(image.url));
    }
    throw invalidRequest(`Content part type ${preview(part.type)} cannot be sent to Anthropic.`, 'messages');
  });
}

/**
 * reasoning_details as a streaming client collects them are fragments: text pieces and a signature
 * sharing one `index`. Fragments of one index are merged into one detail (text joined, the
 * signature kept), so each thinking block goes back whole.
 */
function mergedDetails(details: Json[]): Json[] {
  const merged: Json[] = [];
  for (const detail of details) {
    const previous = merged[merged.length - 1];
    if (
      previous &&
      detail.type === 'reasoning.text' &&
      previous.type === 'reasoning.text' &&
      detail.index !== undefined &&
      detail.index === previous.index
    ) {
      previous.text = `${typeof previous.text === 'string' ? previous.text : ''}${typeof detail.text === 'string' ? detail.text : ''}`;
      if (typeof detail.signature === 'string' && detail.signature !== '') previous.signature = detail.signature;
    } else {
      merged.push({ ...detail });
    }
  }
  return merged;
}

function assistantBlocks(message: Json): Json[] {
  const blocks: Json[] = [];
  // Thinking goes back only with Anthropic's signature (required on later turns); unsigned reasoning
  // from another vendor cannot be verified by Anthropic, so it stays out of the history.
  for (const detail of mergedDetails((message.reasoning_details as Json[] | undefined) ?? [])) {
    if (detail.type === 'reasoning.text' && typeof detail.signature === 'string' && detail.signature !== '') {
      blocks.push({ type: 'thinking', thinking: detail.text ?? '', signature: detail.signature });
    } else if (detail.type === 'reasoning.encrypted' && detail.format === 'anthropic-claude-v1' && typeof detail.data === 'string') {
      blocks.push({ type: 'redacted_thinking', data: detail.data });
    }
  }
  const text = textOf(message.content);
  if (text !== '') blocks.push({ type: 'text', text });
  for (const call of (message.tool_calls as Json[] | undefined) ?? []) {
    const fn = call.function as Json;
    let input: unknown = {};
    try {
      input = typeof fn.arguments === 'string' && fn.arguments !== '' ? JSON.parse(fn.arguments) : {};
    } catch {
      throw invalidRequest(`Tool call ${String(call.id)} has arguments that are not JSON; Anthropic needs an object.`, 'messages');
    }
    blocks.push({ type: 'tool_use', id: call.id, name: fn.name, input });
  }
  return blocks;
}

/** OpenAI messages → Anthropic system + alternating turns (consecutive same-role turns merged). */
function translateMessages(messages: Json[]): { system: string | undefined; turns: Json[] } {
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: Json[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]): void => {
    const previous = turns[turns.length - 1];
    if (previous && previous.role === role) previous.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content));
        break;
      case 'user':
        push('user', userBlocks(message.content));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message));
        break;
      case 'tool':
        push('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: textOf(message.content) }]);
        break;
      default:
        throw invalidRequest(`Message role ${preview(message.role)} cannot be sent to Anthropic.`, 'messages');
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

function translateToolChoice(choice: unknown, parallel: unknown): Json | undefined {
  let out: Json | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else if (typeof choice === 'object' && choice !== null) {
    const name = ((choice as Json).function as Json | undefined)?.name;
    if (typeof name !== 'string')
      throw invalidRequest(
        `'tool_choice' of type ${preview((choice as Json).type)} cannot be sent to Anthropic; use none, auto, required or a function.`,
        'tool_choice',
        'unsupported_parameter',
      );
    out = { type: 'tool', name };
  }
  if (parallel === false) out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

export interface AnthropicRequest {
  body: Json;
  /** OpenAI parameters the request carried that Anthropic cannot honour and were left out. */
  dropped: string[];
}

export function anthropicRequest(
  request: ChatRequest,
  upstreamModel: string,
  provider: ResolvedProvider,
  stream: boolean,
  maxOutput: number | undefined,
): AnthropicRequest {
  const body = request.body;
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (GATEWAY_FIELDS.has(key) || MAPPED.has(key) || value === undefined || value === null) continue;
    const refuse = Object.hasOwn(REFUSED, key) ? REFUSED[key] : undefined;
    if (refuse) {
      if (refuse(value))
        throw invalidRequest(`'${key}' cannot be served by ${provider.name} (Anthropic has no equivalent).`, key, 'unsupported_parameter');
      continue;
    }
    dropped.push(key);
  }
  const temperature = body.temperature;
  if (typeof temperature === 'number' && temperature > 1) {
    throw invalidRequest(`'temperature' ${temperature} is above Anthropic's maximum of 1.`, 'temperature');
  }
  const { system, turns } = translateMessages(body.messages as Json[]);
  const maxTokens = (body.max_completion_tokens ?? body.max_tokens ?? maxOutput ?? 4_096) as number;
  const out: Json = { model: upstreamModel, max_tokens: maxTokens, messages: turns };
  if (system !== undefined) out.system = system;
  if (temperature !== undefined) out.temperature = temperature;
  if (body.top_p !== undefined) out.top_p = body.top_p;
  if (body.top_k !== undefined) out.top_k = body.top_k;
  if (body.stop !== undefined) out.stop_sequences = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (Array.isArray(body.tools)) {
    out.tools = (body.tools as Json[]).map((tool) => {
      const fn = tool.function as Json;
      return {
        name: fn.name,
        ...(fn.description ? { description: fn.description } : {}),
        input_schema: fn.parameters ?? { type: 'object', properties: {} },
      };
    });
  }
  const toolChoice = translateToolChoice(body.tool_choice, body.parallel_tool_calls);
  if (toolChoice) out.tool_choice = toolChoice;
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };
  const reasoning =
    reasoningOf(body) ??
    (typeof body.reasoning_effort === 'string'
      ? { effort: body.reasoning_effort as 'low', maxTokens: undefined, exclude: false, enabled: undefined }
      : undefined);
  if (reasoning && reasoning.enabled !== false && reasoning.effort !== 'none') {
    const budget = reasoning.maxTokens ?? Math.floor(maxTokens * (EFFORT_SHARE[reasoning.effort ?? 'medium'] ?? 0.5));
    if (budget >= 1_024) out.thinking = { type: 'enabled', budget_tokens: Math.min(budget, maxTokens - 1) };
  }
  if (stream) out.stream = true;
  return { body: out, dropped };
}
