/**
 * Canonical (OpenAI Chat Completions) request → Anthropic Messages request
 * (docs.anthropic.com/en/api/messages). The parameter contract: what maps, what is dropped with a
 * warning (reported in `x-agora-dropped-parameters`), what is refused with a 400 naming it.
 */
import type { ResolvedProvider } from '../../config/types.js';
import { GATEWAY_PARAMETERS, reasoningOf, type ChatRequest } from '../../contract/chat-request.js';
import type {
  AssistantMessage,
  ChatMessage,
  ContentPart,
  ParameterContract,
  ReasoningDetail,
  ReasoningEffort,
  ToolChoice,
} from '../../contract/chat-types.js';
import { invalidRequest, preview } from '../../contract/errors.js';
import { droppedParameters } from '../upstream-http.js';

/** Anthropic's wire shapes (only what is built here). */
type Block = Record<string, unknown>;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

/**
 * Anthropic's parameter contract. Refused (a 400) where the loss would change what the client gets
 * back; every other OpenAI parameter without an Anthropic equivalent is left out and reported in
 * `x-agora-dropped-parameters`. A parameter added to the canonical request fails to compile here
 * until it is classified.
 */
const CONTRACT = {
  ...GATEWAY_PARAMETERS,
  model: 'mapped',
  messages: 'mapped',
  stream: 'mapped',
  stream_options: 'mapped',
  max_tokens: 'mapped',
  max_completion_tokens: 'mapped',
  temperature: 'mapped',
  top_p: 'mapped',
  top_k: 'mapped',
  stop: 'mapped',
  tools: 'mapped',
  tool_choice: 'mapped',
  parallel_tool_calls: 'mapped',
  user: 'mapped',
  metadata: 'mapped',
  reasoning_effort: 'mapped',
  frequency_penalty: 'dropped',
  presence_penalty: 'dropped',
  seed: 'dropped',
  logit_bias: 'dropped',
  response_format: 'dropped',
  logprobs: { refuseWhen: (value) => value === true },
  top_logprobs: { refuseWhen: (value) => typeof value === 'number' && value > 0 },
  n: { refuseWhen: (value) => typeof value === 'number' && value > 1 },
} satisfies ParameterContract;

/** The effort → thinking budget OpenRouter documents (a share of max_tokens, at least 1,024). */
const EFFORT_SHARE: Record<ReasoningEffort, number> = { none: 0, minimal: 0.1, low: 0.2, medium: 0.5, high: 0.8, xhigh: 0.95, max: 0.95 };

function textOf(content: string | ContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return '';
}

function imageBlock(url: string): Block {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (match) return { type: 'image', source: { type: 'base64', media_type: match[1], data: match[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function userBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part) => {
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text, ...(part.cache_control ? { cache_control: part.cache_control } : {}) };
      case 'image_url':
        return imageBlock(typeof part.image_url === 'string' ? part.image_url : part.image_url.url);
      default:
        throw invalidRequest(`Content part type ${preview(part.type)} cannot be sent to Anthropic.`, 'messages');
    }
  });
}

/**
 * reasoning_details as a streaming client collects them are fragments: text pieces and a signature
 * sharing one `index`. Fragments of one index are merged into one detail (text joined, the
 * signature kept), so each thinking block goes back whole.
 */
function mergedDetails(details: readonly ReasoningDetail[]): ReasoningDetail[] {
  const merged: ReasoningDetail[] = [];
  for (const detail of details) {
    const previous = merged[merged.length - 1];
    if (
      previous &&
      detail.type === 'reasoning.text' &&
      previous.type === 'reasoning.text' &&
      detail.index !== undefined &&
      detail.index === previous.index
    ) {
      previous.text = `${previous.text ?? ''}${detail.text ?? ''}`;
      if (detail.signature) previous.signature = detail.signature;
    } else {
      merged.push({ ...detail });
    }
  }
  return merged;
}

function assistantBlocks(message: AssistantMessage): Block[] {
  const blocks: Block[] = [];
  // Thinking goes back only with Anthropic's signature (required on later turns); unsigned reasoning
  // from another vendor cannot be verified by Anthropic, so it stays out of the history.
  for (const detail of mergedDetails(message.reasoning_details ?? [])) {
    if (detail.type === 'reasoning.text' && detail.signature) {
      blocks.push({ type: 'thinking', thinking: detail.text ?? '', signature: detail.signature });
    } else if (detail.type === 'reasoning.encrypted' && detail.format === 'anthropic-claude-v1' && detail.data !== undefined) {
      blocks.push({ type: 'redacted_thinking', data: detail.data });
    }
  }
  const text = textOf(message.content);
  if (text !== '') blocks.push({ type: 'text', text });
  for (const call of message.tool_calls ?? []) {
    let input: unknown = {};
    try {
      input = call.function.arguments ? JSON.parse(call.function.arguments) : {};
    } catch {
      throw invalidRequest(`Tool call ${preview(call.id)} has arguments that are not JSON; Anthropic needs an object.`, 'messages');
    }
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
  }
  return blocks;
}

/** OpenAI messages → Anthropic system + alternating turns (consecutive same-role turns merged, empty ones left out). */
function translateMessages(messages: readonly ChatMessage[]): { system: string | undefined; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]): void => {
    // A turn with nothing to say (an empty assistant answer in the history): Anthropic refuses an
    // empty message, and leaving it out says the same (the turns around it merge).
    if (blocks.length === 0) return;
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
      case 'function':
        throw invalidRequest(`Message role ${preview(message.role)} cannot be sent to Anthropic.`, 'messages');
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

function translateToolChoice(choice: ToolChoice | null | undefined, parallel: boolean | null | undefined): Block | undefined {
  let out: Block | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else if (choice) out = { type: 'tool', name: choice.function.name };
  if (parallel === false) out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

export interface AnthropicRequest {
  body: Block;
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
  const dropped = droppedParameters(body, CONTRACT, `${provider.name} (Anthropic has no equivalent)`);
  const temperature = body.temperature;
  if (typeof temperature === 'number' && temperature > 1) {
    throw invalidRequest(`'temperature' ${temperature} is above Anthropic's maximum of 1.`, 'temperature');
  }
  const { system, turns } = translateMessages(body.messages);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? maxOutput ?? 4_096;
  const out: Block = { model: upstreamModel, max_tokens: maxTokens, messages: turns };
  if (system !== undefined) out.system = system;
  if (temperature !== undefined && temperature !== null) out.temperature = temperature;
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p;
  if (body.top_k !== undefined && body.top_k !== null) out.top_k = body.top_k;
  if (body.stop !== undefined && body.stop !== null) out.stop_sequences = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.tools) {
    out.tools = body.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description ? { description: tool.function.description } : {}),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const toolChoice = translateToolChoice(body.tool_choice, body.parallel_tool_calls);
  if (toolChoice) out.tool_choice = toolChoice;
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };
  const reasoning =
    reasoningOf(body) ??
    (body.reasoning_effort ? { effort: body.reasoning_effort, maxTokens: undefined, exclude: false, enabled: undefined } : undefined);
  if (reasoning && reasoning.enabled !== false && reasoning.effort !== 'none') {
    const budget = reasoning.maxTokens ?? Math.floor(maxTokens * EFFORT_SHARE[reasoning.effort ?? 'medium']);
    if (budget >= 1_024) out.thinking = { type: 'enabled', budget_tokens: Math.min(budget, maxTokens - 1) };
  }
  if (stream) out.stream = true;
  return { body: out, dropped };
}
