/**
 * What one call carries through the lifecycle (parse → plan → reserve → execute → settle →
 * record), and the small pieces the JSON answer, the stream and embeddings share.
 */
import type { KeyRecord } from '../catalog/key-directory.js';
import type { RequestCancel } from '../http/respond.js';
import { costFields } from '../metering/cost.js';
import type { IdempotentCall } from '../metering/idempotency.js';
import type { Billing } from '../metering/settle.js';
import type { GenerationTrace } from '../metering/trace.js';
import type { AllAttemptsFailed, ExecuteOptions } from '../routing/execute.js';
import { skippedRecords } from '../routing/execute.js';
import type { Attempt, Plan } from '../routing/plan.js';
import type { ChatEvent } from '../contract/chat-event.js';
import type { ChatRequest } from '../contract/chat-request.js';
import type { UsageBody } from '../contract/chat-types.js';
import { shuttingDown } from '../contract/errors.js';
import type { ChatSurface } from '../surfaces/surface.js';
import { attemptFailed, record } from './outcome.js';
import type { HttpExchange, LifecycleParts } from './parts.js';

/** The steps' shared state for one request, whatever its kind. */
export interface Call {
  parts: LifecycleParts;
  exchange: HttpExchange;
  key: KeyRecord;
  plan: Plan;
  trace: GenerationTrace;
  billing: Billing;
  /** Cancelled when the client leaves, or when the shutdown grace ends (`byShutdown`). */
  signal: RequestCancel;
  /** The shape answers and errors leave in (OpenAI or Anthropic). */
  surface: ChatSurface;
  /** Set when the request carries an Idempotency-Key. */
  idempotent: IdempotentCall | undefined;
}

/** A chat call: the shared call state plus the canonical request. */
export interface ChatCall extends Call {
  chat: ChatRequest;
}

/** The fallback loop's options for this call: failures go to health and the log from the lifecycle. */
export function executeOptions(call: Call): ExecuteOptions {
  const { parts } = call;
  return {
    maxAttempts: parts.maxAttempts,
    budget: parts.budget,
    skipped: skippedRecords(call.plan.excluded),
    onFailure: (attempt, error) => attemptFailed(parts, attempt, error, call.trace.id),
    timings: call.trace.span?.timings,
  };
}

/**
 * Adds OpenRouter's `cost`, `cost_details` and `is_byok` to a usage object, in place: a spread
 * copy would push V8 into dictionary mode and make the response's JSON.stringify several times slower.
 */
export function withCost(usage: UsageBody | null | undefined, cost: ReturnType<typeof costFields>): UsageBody {
  const target: UsageBody = typeof usage === 'object' && usage !== null ? usage : {};
  target.cost = cost.cost;
  target.cost_details = cost.cost_details;
  target.is_byok = false;
  return target;
}

/** The headers every model answer carries: generation id, attempts made, provider, and what the upstream did not honour as asked. */
export function modelHeaders(
  trace: GenerationTrace,
  notes?: { dropped?: string[] | undefined; adjusted?: string[] | undefined },
): Record<string, string> {
  const made = trace.attempts.filter((attempt) => attempt.status !== 0).length;
  const headers: Record<string, string> = { 'x-agora-generation-id': trace.id, 'x-agora-attempts': String(made) };
  if (trace.provider) headers['x-agora-provider'] = trace.provider;
  if (trace.policy) headers['x-agora-policy'] = trace.policy;
  if (notes?.dropped && notes.dropped.length > 0) headers['x-agora-dropped-parameters'] = notes.dropped.join(', ');
  if (notes?.adjusted && notes.adjusted.length > 0) headers['x-agora-adjusted-parameters'] = notes.adjusted.join(', ');
  return headers;
}

/** The record names the endpoint that answered (or failed last). */
export function adopt(trace: GenerationTrace, attempt: Attempt): void {
  trace.model = attempt.modelId;
  trace.provider = attempt.endpoint.provider.id;
  trace.upstreamModel = attempt.endpoint.endpoint.upstreamModel;
}

/**
 * Every attempt failed before a byte was sent: an ordinary error answer, recorded. Cancelled by the
 * client: nothing to send. Cancelled by the gateway's shutdown: a 503 the client can retry.
 */
export function failBeforeFirstByte(call: Call, failure: AllAttemptsFailed): void {
  const { exchange, trace, signal } = call;
  trace.attempts = failure.records;
  if (failure.lastAttempt) adopt(trace, failure.lastAttempt);
  const cancelled = failure.error.status === 499;
  const error = cancelled && signal.byShutdown ? shuttingDown() : failure.error;
  if (!cancelled || signal.byShutdown) call.surface.sendError(exchange.response, error, call.parts.logger, modelHeaders(trace));
  record(call.parts, trace, cancelled ? 'cancelled' : 'error', error.status, error);
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
