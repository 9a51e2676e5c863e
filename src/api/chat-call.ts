/**
 * What one chat call carries through its steps (see chat-completions.ts), and the small pieces the
 * JSON and the streamed answer share.
 */
import type { Exchange } from '../gateway.js';
import type { RequestCancel } from '../http/respond.js';
import { shuttingDown } from '../spec/errors.js';
import { costFields } from '../metering/cost.js';
import type { IdempotentCall } from '../metering/idempotency.js';
import type { Billing } from '../metering/settle.js';
import type { GenerationTrace } from '../metering/trace.js';
import type { AllAttemptsFailed } from '../routing/execute.js';
import type { Attempt, Plan } from '../routing/plan.js';
import type { ChatEvent } from '../spec/chat-event.js';
import type { ChatRequest } from '../spec/chat-request.js';
import type { ChatSurface } from '../surfaces/surface.js';

export interface ChatCall {
  exchange: Exchange;
  chat: ChatRequest;
  plan: Plan;
  trace: GenerationTrace;
  billing: Billing;
  /** Set when the request carries an Idempotency-Key. */
  idempotent: IdempotentCall | undefined;
  /** The shape answers leave in (OpenAI or Anthropic). */
  surface: ChatSurface;
}

/**
 * Adds OpenRouter's `cost`, `cost_details` and `is_byok` to a usage object, in place: a spread
 * copy would push V8 into dictionary mode and make the response's JSON.stringify several times slower.
 */
export function withCost(usage: unknown, cost: ReturnType<typeof costFields>): Record<string, unknown> {
  const target = (typeof usage === 'object' && usage !== null ? usage : {}) as Record<string, unknown>;
  target.cost = cost.cost;
  target.cost_details = cost.cost_details;
  target.is_byok = false;
  return target;
}

export function modelHeaders(trace: GenerationTrace): Record<string, string> {
  const made = trace.attempts.filter((attempt) => attempt.status !== 0).length;
  const headers: Record<string, string> = { 'x-agora-generation-id': trace.id, 'x-agora-attempts': String(made) };
  if (trace.provider) headers['x-agora-provider'] = trace.provider;
  return headers;
}

export function adopt(trace: GenerationTrace, attempt: Attempt): void {
  trace.model = attempt.modelId;
  trace.provider = attempt.endpoint.provider.id;
  trace.upstreamModel = attempt.endpoint.endpoint.upstreamModel;
}

/**
 * Every attempt failed before a byte was sent: an ordinary JSON error, recorded. Cancelled by the
 * client: nothing to send. Cancelled by the gateway's shutdown: a 503 the client can retry.
 */
export function failBeforeFirstByte(call: ChatCall, failure: AllAttemptsFailed, signal?: RequestCancel): void {
  const { exchange, trace } = call;
  trace.attempts = failure.records;
  if (failure.lastAttempt) adopt(trace, failure.lastAttempt);
  const cancelled = failure.error.status === 499;
  const error = cancelled && signal?.byShutdown ? shuttingDown() : failure.error;
  if (!cancelled || signal?.byShutdown) call.surface.sendError(exchange.response, error, exchange.gateway.logger, modelHeaders(trace));
  exchange.gateway.sink.enqueue(trace.row(cancelled ? 'cancelled' : 'error', error.status, error));
}

/** Cache stickiness: the next turn of this conversation goes back to the same endpoint. */
export function remember(call: ChatCall, attempt: Attempt): void {
  if (call.plan.conversation) call.exchange.gateway.planner.sticky.set(call.plan.conversation, attempt.endpoint.key, Date.now());
}

/** Whether a whole answer has any content (an empty answer costs nothing, as on OpenRouter). */
export function hasAnswer(choices: unknown[]): boolean {
  return choices.some((choice) => {
    const message = (choice as { message?: Record<string, unknown> }).message;
    if (!message) return false;
    return (
      (typeof message.content === 'string' && message.content !== '') ||
      (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) ||
      (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') ||
      (typeof message.reasoning === 'string' && message.reasoning !== '')
    );
  });
}

/** Bytes of generated output in a chunk: text, reasoning and tool-call arguments. */
export function outputBytes(event: ChatEvent): number {
  let bytes = 0;
  for (const choice of event.chunk.choices) {
    const delta = choice.delta;
    if (typeof delta.content === 'string') bytes += Buffer.byteLength(delta.content);
    if (typeof delta.reasoning_content === 'string') bytes += Buffer.byteLength(delta.reasoning_content);
    if (typeof delta.reasoning === 'string') bytes += Buffer.byteLength(delta.reasoning);
    if (Array.isArray(delta.tool_calls)) bytes += Buffer.byteLength(JSON.stringify(delta.tool_calls));
  }
  return bytes;
}
