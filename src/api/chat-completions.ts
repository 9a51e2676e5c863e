/**
 * POST /v1/chat/completions — reads top to bottom:
 * authenticate → parse → plan → reserve credit → execute (fallback before the first byte) →
 * respond (JSON or SSE) → settle (the charge is group-committed before the response's last byte)
 * → report the outcome to the endpoint's health → record (enqueued).
 * Nothing before the first byte waits on a database.
 */
import { readJsonBody } from '../http/middleware/body-limit.js';
import { authenticate } from '../http/middleware/auth.js';
import type { Exchange } from '../http/context.js';
import { sendError, streamErrorChunk } from '../http/errors.js';
import { abortOnDisconnect, sendJsonAfterSettlement } from '../http/respond.js';
import { SseWriter } from '../http/sse-writer.js';
import { estimatePromptTokens } from '../lib/token-estimate.js';
import { costFields } from '../metering/cost.js';
import { release, reserve, settle, type Billing } from '../metering/settle.js';
import { GenerationTrace } from '../metering/trace.js';
import { AllAttemptsFailed, executeWithFallback, openStream, reportFailure, skippedRecords } from '../routing/execute.js';
import type { Attempt, Plan } from '../routing/plan.js';
import { conversationKey } from '../routing/stickiness.js';
import type { ChatEvent } from '../spec/chat-event.js';
import { parseChatRequest, type ChatRequest } from '../spec/chat-request.js';
import { UpstreamError, toAgoraError, type AgoraError } from '../spec/errors.js';

export async function chatCompletions(exchange: Exchange): Promise<void> {
  const { request, gateway } = exchange;
  const key = await authenticate(request.headers, gateway.keys);
  const chat = parseChatRequest(await readJsonBody(request, gateway.config.server.bodyLimitBytes));
  const promptTokensEstimate = estimatePromptTokens(chat.body.messages, chat.body.tools);
  const plan = gateway.planner.plan({
    modelIds: chat.models,
    kind: 'chat',
    provider: chat.body.provider,
    body: chat.body,
    promptTokensEstimate,
    maxTokens: chat.maxTokens,
    conversation: () => conversationKey(key.id, chat.models[0]!, chat.body.messages),
  });
  const billing = reserve(gateway, key, plan.attempts, promptTokensEstimate, chat.maxTokens);
  const trace = new GenerationTrace('chat', key.id, chat.models[0]!, chat.stream, exchange.startedAt, request.headers);
  trace.promptTokensEstimate = promptTokensEstimate;
  try {
    if (chat.stream) await respondWithStream(exchange, chat, plan, trace, billing);
    else await respondWithJson(exchange, chat, plan, trace, billing);
  } finally {
    release(gateway, billing); // no-op when settled
  }
}

/** Adds OpenRouter's `cost` and `cost_details` to a usage object. */
function withCost(usage: unknown, cost: ReturnType<typeof costFields>): Record<string, unknown> {
  return { ...(typeof usage === 'object' && usage !== null ? usage : {}), ...cost, is_byok: false };
}

function modelHeaders(trace: GenerationTrace, attemptCount: number): Record<string, string> {
  const headers: Record<string, string> = { 'x-agora-generation-id': trace.id, 'x-agora-attempts': String(attemptCount) };
  if (trace.provider) headers['x-agora-provider'] = trace.provider;
  return headers;
}

function adopt(trace: GenerationTrace, attempt: Attempt): void {
  trace.model = attempt.modelId;
  trace.provider = attempt.endpoint.provider.id;
  trace.upstreamModel = attempt.endpoint.endpoint.upstreamModel;
}

function attemptsMade(trace: GenerationTrace): number {
  return trace.attempts.filter((attempt) => attempt.status !== 0).length;
}

/** Every attempt failed before a byte was sent: an ordinary JSON error, recorded. */
function failBeforeFirstByte(exchange: Exchange, trace: GenerationTrace, failure: AllAttemptsFailed): void {
  trace.attempts = failure.records;
  if (failure.lastAttempt) adopt(trace, failure.lastAttempt);
  const cancelled = failure.error.status === 499;
  if (!cancelled) sendError(exchange.response, failure.error, exchange.gateway.logger, modelHeaders(trace, attemptsMade(trace)));
  exchange.gateway.sink.enqueue(trace.row(cancelled ? 'cancelled' : 'error', failure.error.status, failure.error));
}

function remember(exchange: Exchange, plan: Plan, attempt: Attempt): void {
  if (plan.conversation) exchange.gateway.planner.sticky.set(plan.conversation, attempt.endpoint.key, Date.now());
}

async function respondWithJson(exchange: Exchange, chat: ChatRequest, plan: Plan, trace: GenerationTrace, billing: Billing): Promise<void> {
  const { response, gateway } = exchange;
  const signal = abortOnDisconnect(exchange).signal;
  const options = { maxAttempts: gateway.config.routing.maxAttempts, budget: gateway.budget, skipped: skippedRecords(plan.excluded) };
  let executed;
  try {
    executed = await executeWithFallback(plan.attempts, signal, options, (attempt) =>
      attempt.adapter.chat({ request: chat, upstreamModel: attempt.endpoint.endpoint.upstreamModel, signal }),
    );
  } catch (error) {
    if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(exchange, trace, error);
    throw error;
  }
  const { attempt, value: result, records } = executed;
  adopt(trace, attempt);
  trace.attempts = records;
  trace.usage = result.usage;
  trace.finishReason = result.finishReason;
  trace.upstreamId = result.upstreamId ?? null;
  trace.markFirstToken();
  const elapsedMs = performance.now() - exchange.startedAt;
  attempt.health.success(Date.now(), elapsedMs, result.usage?.completionTokens === undefined ? undefined : result.usage.completionTokens / (elapsedMs / 1000));
  remember(exchange, plan, attempt);
  const answered = hasAnswer(result.body.choices);
  const settlement = settle(gateway, billing, trace, attempt, answered);
  const body = result.body;
  body.id = trace.id;
  body.model = attempt.modelId;
  body.provider = attempt.endpoint.provider.name;
  body.usage = withCost(body.usage, costFields(trace.costBreakdown!));
  const delivered = await sendJsonAfterSettlement(response, body, modelHeaders(trace, attemptsMade(trace)), settlement);
  gateway.sink.enqueue(delivered ? trace.row('success', 200) : trace.row('error', 503));
}

/** Whether an answer has any content (an empty answer costs nothing, as on OpenRouter). */
function hasAnswer(choices: unknown[]): boolean {
  return choices.some((choice) => {
    const message = (choice as { message?: Record<string, unknown> }).message;
    if (!message) return false;
    return (typeof message.content === 'string' && message.content !== '') || (Array.isArray(message.tool_calls) && message.tool_calls.length > 0)
      || (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') || (typeof message.reasoning === 'string' && message.reasoning !== '');
  });
}

/**
 * The client left mid-stream: the provider still generated what was delivered, so that much is
 * charged (upstream usage if it arrived, else an estimate), as OpenRouter does for cancelled streams.
 */
async function settleCancelled(exchange: Exchange, billing: Billing, trace: GenerationTrace, attempt: Attempt, error?: AgoraError): Promise<void> {
  await settle(exchange.gateway, billing, trace, attempt, trace.outputBytes > 0).catch(() => undefined);
  exchange.gateway.sink.enqueue(trace.row('cancelled', 499, error));
}

/** Bytes of generated output in a chunk: text, reasoning and tool-call arguments. */
function outputBytes(event: ChatEvent): number {
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

interface StreamOpening {
  iterator: AsyncIterator<ChatEvent>;
  /** Events before the first one with output, held back so a failure there can still fail over. */
  held: ChatEvent[];
  done: boolean;
}

async function openWithHeldPrefix(attempt: Attempt, chat: ChatRequest, signal: AbortSignal): Promise<StreamOpening> {
  const { iterator, first } = await openStream(
    attempt.adapter.chatStream({ request: chat, upstreamModel: attempt.endpoint.endpoint.upstreamModel, signal }),
  );
  const held: ChatEvent[] = [];
  let next = first;
  while (!next.done) {
    held.push(next.value);
    if (next.value.hasOutput || next.value.finishReason || held.length >= 8) return { iterator, held, done: false };
    next = await iterator.next();
  }
  if (!held.some((event) => event.finishReason)) {
    throw new UpstreamError(`${attempt.endpoint.provider.name} ended the stream without any output.`, { status: 502, code: 'upstream_empty_stream' });
  }
  return { iterator, held, done: true };
}

async function respondWithStream(exchange: Exchange, chat: ChatRequest, plan: Plan, trace: GenerationTrace, billing: Billing): Promise<void> {
  const { gateway } = exchange;
  const signal = abortOnDisconnect(exchange).signal;
  const options = { maxAttempts: gateway.config.routing.maxAttempts, budget: gateway.budget, skipped: skippedRecords(plan.excluded) };
  let executed;
  try {
    executed = await executeWithFallback(plan.attempts, signal, options, (attempt) => openWithHeldPrefix(attempt, chat, signal));
  } catch (error) {
    if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(exchange, trace, error);
    throw error;
  }
  const { attempt, value: opening, records } = executed;
  adopt(trace, attempt);
  trace.attempts = records;
  const writer = new SseWriter(exchange.response);
  writer.open(modelHeaders(trace, attemptsMade(trace)));
  const providerName = attempt.endpoint.provider.name;
  let firstTokenAt: number | undefined;
  /** The upstream's usage chunk is held back until the charge is known and committed. */
  let usageChunk: ChatEvent['chunk'] | undefined;
  const send = async (event: ChatEvent): Promise<void> => {
    if (event.hasOutput) {
      if (firstTokenAt === undefined) {
        firstTokenAt = performance.now();
        trace.markFirstToken();
      }
      trace.outputBytes += outputBytes(event);
    }
    if (event.usage) trace.usage = event.usage;
    if (event.finishReason) trace.finishReason = event.finishReason;
    const chunk = event.chunk;
    if (typeof chunk.id === 'string' && trace.upstreamId === null) trace.upstreamId = chunk.id;
    chunk.id = trace.id;
    chunk.model = attempt.modelId;
    chunk.provider = providerName;
    if (event.usage && chunk.choices.length === 0) {
      usageChunk = chunk;
      return;
    }
    if (!writer.data(chunk)) await writer.drained();
  };
  try {
    for (const event of opening.held) await send(event);
    let next = opening.done ? { done: true as const, value: undefined } : await opening.iterator.next();
    while (!next.done && !writer.closed) {
      await send(next.value);
      next = await opening.iterator.next();
    }
    if (writer.closed) {
      await opening.iterator.return?.();
      attempt.health.abandon();
      await settleCancelled(exchange, billing, trace, attempt);
      return;
    }
    if (!trace.finishReason) {
      throw new UpstreamError(`${providerName} ended the stream without a finish reason; the answer may be cut off.`, {
        status: 502, code: 'upstream_truncated',
      });
    }
    const generationSeconds = firstTokenAt === undefined ? 0 : (performance.now() - firstTokenAt) / 1000;
    const completion = trace.usage?.completionTokens;
    attempt.health.success(Date.now(), trace.ttftMs ?? undefined,
      completion !== undefined && generationSeconds > 0 ? completion / generationSeconds : undefined);
    remember(exchange, plan, attempt);
    // The charge is committed before the usage chunk and [DONE]: a client that saw the whole stream was charged once.
    const cost = await settle(gateway, billing, trace, attempt, firstTokenAt !== undefined);
    const usage = trace.billableUsage();
    const final = usageChunk ?? {
      id: trace.id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: attempt.modelId, provider: providerName, choices: [],
      usage: usage ? {
        prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens,
        ...(trace.usageEstimated ? { estimated: true } : {}),
      } : null,
    };
    final.usage = withCost(final.usage, costFields(cost));
    writer.data(final);
    writer.done();
    gateway.sink.enqueue(trace.row('success', 200));
  } catch (thrown) {
    const error = toAgoraError(thrown);
    if (signal.aborted || writer.closed) {
      attempt.health.abandon();
      await settleCancelled(exchange, billing, trace, attempt, error);
      return;
    }
    if (error.code !== 'ledger_unavailable') reportFailure(attempt, error);
    trace.finishReason = { unified: 'error', raw: 'error' };
    if (error.code !== 'ledger_unavailable') await settle(gateway, billing, trace, attempt, false).catch(() => undefined);
    writer.data(streamErrorChunk(error, trace.id, attempt.modelId, providerName));
    writer.done();
    gateway.sink.enqueue(trace.row('error', 200, error));
  }
}
