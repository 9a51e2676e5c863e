/**
 * The canonical answer → OpenAI's Response object (platform.openai.com/docs/api-reference/responses/object):
 * output items (reasoning, the assistant message, function calls), status and incomplete details
 * from the finish reason, usage in the Responses terms (input/output tokens) with the gateway's cost
 * beside it, and the request's settings echoed as the API does.
 */
import type { AnswerMessage, ChatCompletion, ReasoningDetail, UsageBody } from '../../contract/chat-types.js';
import type { AgoraError } from '../../contract/errors.js';
import { encodeReasoningDetails, type ResponsesContext } from './parse-request.js';

type Json = Record<string, unknown>;

/** Whether reasoning details carry something an upstream must get back intact (a signature, encrypted data). */
function opaque(details: readonly ReasoningDetail[]): boolean {
  return details.some((detail) => Boolean(detail.signature) || detail.type === 'reasoning.encrypted');
}

export function reasoningItem(id: string, text: string, details: readonly ReasoningDetail[], context: ResponsesContext): Json {
  return {
    type: 'reasoning',
    id: `rs_${id}`,
    // Open models show their whole reasoning: it is the content, and the summary when one is asked for.
    summary: context.reasoning.summary !== null && text !== '' ? [{ type: 'summary_text', text }] : [],
    content: text !== '' ? [{ type: 'reasoning_text', text }] : [],
    // The canonical details (Anthropic signatures, redacted blocks), opaque to the client, round-tripped on the next turn.
    encrypted_content: opaque(details) ? encodeReasoningDetails([...details]) : null,
  };
}

export function messageItem(id: string, text: string, refusal: string | null | undefined): Json {
  const content: Json[] = [];
  if (text !== '') content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  if (refusal) content.push({ type: 'refusal', refusal });
  return { type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant', content };
}

export function functionCallItem(callId: string, name: string, args: string): Json {
  return { type: 'function_call', id: `fc_${callId}`, call_id: callId, name, arguments: args, status: 'completed' };
}

/** A whole answer's output items, in the order the Responses API lists them. */
export function outputItems(id: string, message: AnswerMessage | undefined, context: ResponsesContext): Json[] {
  if (!message) return [];
  const items: Json[] = [];
  const reasoning = message.reasoning ?? message.reasoning_content ?? '';
  const details = message.reasoning_details ?? [];
  if (reasoning !== '' || details.length > 0) items.push(reasoningItem(id, reasoning, details, context));
  if ((typeof message.content === 'string' && message.content !== '') || message.refusal) {
    items.push(messageItem(id, typeof message.content === 'string' ? message.content : '', message.refusal));
  }
  for (const call of message.tool_calls ?? []) items.push(functionCallItem(call.id, call.function.name, call.function.arguments ?? ''));
  return items;
}

/** OpenAI-shaped usage (with the gateway's cost) → the Responses API's usage. */
export function responsesUsage(usage: UsageBody | null | undefined): Json | null {
  if (!usage) return null;
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
    ...(usage.cost !== undefined ? { cost: usage.cost, cost_details: usage.cost_details } : {}),
    ...(usage.estimated ? { estimated: true } : {}),
  };
}

function statusOf(finishReason: string | null | undefined): { status: string; incomplete: Json | null } {
  if (finishReason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed', incomplete: null };
}

export interface ResponseParts {
  id: string;
  model: string | undefined;
  createdAt: number;
  status: string;
  incomplete: Json | null;
  error: Json | null;
  output: Json[];
  usage: Json | null;
  provider?: string | undefined;
}

/** The Response object around its output (the request's settings echoed as OpenAI echoes them). */
export function responseObject(parts: ResponseParts, context: ResponsesContext): Json {
  return {
    id: parts.id,
    object: 'response',
    created_at: parts.createdAt,
    status: parts.status,
    error: parts.error,
    incomplete_details: parts.incomplete,
    instructions: context.instructions,
    max_output_tokens: context.maxOutputTokens,
    model: parts.model ?? context.model,
    output: parts.output,
    parallel_tool_calls: context.parallelToolCalls,
    previous_response_id: context.previousResponseId,
    reasoning: context.reasoning,
    store: context.store,
    temperature: context.temperature ?? 1,
    text: { format: context.textFormat },
    tool_choice: context.toolChoice,
    tools: context.tools,
    top_p: context.topP ?? 1,
    truncation: 'disabled',
    usage: parts.usage,
    user: context.user,
    metadata: context.metadata,
    ...(parts.provider ? { provider: parts.provider } : {}),
  };
}

/** A whole canonical answer (id, model and cost already the gateway's) → a Response. */
export function responseFromCompletion(body: ChatCompletion, context: ResponsesContext): Json {
  const id = body.id ?? '';
  const choice = body.choices[0];
  const { status, incomplete } = statusOf(choice?.finish_reason);
  return responseObject(
    {
      id,
      model: body.model,
      createdAt: Math.floor(Date.now() / 1000),
      status,
      incomplete,
      error: null,
      output: outputItems(id, choice?.message, context),
      usage: responsesUsage(body.usage),
      provider: body.provider,
    },
    context,
  );
}

export { statusOf };

/** A failed Response (a stream that broke after its first byte). */
export function failedResponse(
  parts: Omit<ResponseParts, 'status' | 'incomplete' | 'error'>,
  error: AgoraError,
  context: ResponsesContext,
): Json {
  return responseObject({ ...parts, status: 'failed', incomplete: null, error: { code: error.code, message: error.message } }, context);
}
