/**
 * A streamed chat answer: open with failover (events before the first output are held back, so a
 * failure there can still move to the next endpoint), relay chunk by chunk with backpressure, then
 * settle: the upstream's usage chunk (with our cost) and the surface's terminator go out only after
 * the charge is committed. A failure after the first byte ends the stream with the surface's error
 * event, never a clean stop; a client that leaves, or a shutdown, is charged for what was delivered.
 */
import type { CancelSignal } from '../lib/cancel.js';
import { SseWriter } from '../http/sse-writer.js';
import { costFields } from '../metering/cost.js';
import { post, price } from '../metering/settle.js';
import { AllAttemptsFailed, attemptError, executeWithFallback } from '../routing/execute.js';
import type { Attempt } from '../routing/plan.js';
import type { ChatChunk, ChatEvent } from '../contract/chat-event.js';
import type { ChatRequest } from '../contract/chat-request.js';
import { shuttingDown, UpstreamError, type AgoraError } from '../contract/errors.js';
import { adopt, executeOptions, failBeforeFirstByte, modelHeaders, outputBytes, withCost, type Call, type ChatCall } from './call.js';
import { attemptFailed, attemptSucceeded, record } from './outcome.js';

interface StreamOpening {
  iterator: AsyncIterator<ChatEvent>;
  /** Events before the first one with output, held back so a failure there can still fail over. */
  held: ChatEvent[];
  done: boolean;
}

/** Opens the stream and reads up to its first output: until then a failure is still a failover. */
async function openWithHeldPrefix(attempt: Attempt, chat: ChatRequest, signal: CancelSignal, passthrough: boolean): Promise<StreamOpening> {
  const iterator = attempt.adapter
    .chatStream({ request: chat, upstreamModel: attempt.endpoint.endpoint.upstreamModel, signal, passthrough })
    [Symbol.asyncIterator]();
  const held: ChatEvent[] = [];
  let next = await iterator.next();
  while (!next.done) {
    held.push(next.value);
    if (next.value.hasOutput || next.value.finishReason || held.length >= 8) return { iterator, held, done: false };
    next = await iterator.next();
  }
  if (!held.some((event) => event.finishReason)) {
    throw new UpstreamError(`${attempt.endpoint.provider.name} ended the stream without any output.`, {
      status: 502,
      code: 'upstream_empty_stream',
    });
  }
  return { iterator, held, done: true };
}

/** Charges what was delivered (the upstream's usage if it came, else an estimate from the bytes sent), as OpenRouter does for cancelled streams. */
async function chargeDelivered(call: Call, attempt: Attempt): Promise<void> {
  await post(call.parts, call.billing, call.trace, price(call.trace, attempt, call.trace.outputBytes > 0))?.catch(() => undefined);
}

export async function streamChat(call: ChatCall): Promise<void> {
  const { parts, exchange, chat, trace, signal } = call;
  let executed;
  try {
    executed = await executeWithFallback(call.plan.attempts, signal, executeOptions(call), (attempt) =>
      openWithHeldPrefix(attempt, chat, signal, call.surface.passthrough === true),
    );
  } catch (error) {
    if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(call, error);
    throw error;
  }
  const { attempt, value: opening, records } = executed;
  adopt(trace, attempt);
  trace.attempts = records;
  // Alone, the first frame leaves at once; under load it leaves with the rest of its tick (one socket write less).
  const writer = new SseWriter(exchange.response, parts.alone());
  if (call.idempotent) writer.capture = [];
  const headers = modelHeaders(trace, opening.held[0]);
  writer.open(headers);
  const openStreams = parts.telemetry.openStreams;
  openStreams.value++;
  const encoder = call.surface.encoder(trace.id, attempt.modelId, trace.promptTokensEstimate ?? 0);
  const providerName = attempt.endpoint.provider.name;
  let firstTokenAt: number | undefined;
  /** The upstream's usage chunk is held back until the charge is known and committed. */
  let usageChunk: ChatChunk | undefined;
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
    if (!writer.write(encoder.chunk(chunk))) await writer.drained();
  };
  try {
    for (const event of opening.held) await send(event);
    let next = opening.done ? { done: true as const, value: undefined } : await opening.iterator.next();
    while (!next.done && !writer.closed) {
      await send(next.value);
      next = await opening.iterator.next();
    }
    if (writer.closed) {
      // The client left: the provider still generated what was delivered.
      await opening.iterator.return?.();
      attempt.health.abandon();
      await chargeDelivered(call, attempt);
      return record(parts, trace, 'cancelled', 499);
    }
    if (!trace.finishReason) {
      throw new UpstreamError(`${providerName} ended the stream without a finish reason; the answer may be cut off.`, {
        status: 502,
        code: 'upstream_truncated',
      });
    }
    const generationSeconds = firstTokenAt === undefined ? 0 : (performance.now() - firstTokenAt) / 1000;
    const completion = trace.usage?.completionTokens;
    attemptSucceeded(
      parts,
      attempt,
      call.plan.conversation,
      trace.ttftMs ?? undefined,
      completion !== undefined && generationSeconds > 0 ? completion / generationSeconds : undefined,
    );
    const usage = trace.billableUsage();
    const final: ChatChunk = usageChunk ?? {
      id: trace.id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: attempt.modelId,
      provider: providerName,
      choices: [],
      usage: usage
        ? {
            prompt_tokens: usage.promptTokens,
            completion_tokens: usage.completionTokens,
            total_tokens: usage.totalTokens,
            ...(trace.usageEstimated ? { estimated: true } : {}),
          }
        : null,
    };
    // The charge is committed before the usage chunk and the terminator: a client that saw the whole stream was charged once.
    const cost = price(trace, attempt, firstTokenAt !== undefined);
    final.usage = withCost(final.usage, costFields(cost));
    const tail = encoder.end(final);
    const stored = call.idempotent
      ? parts.idempotency.complete(call.idempotent, {
          status: 200,
          headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8' },
          body: writer.capture!.join('') + tail,
        })
      : undefined;
    const committed = post(parts, call.billing, trace, cost, stored);
    if (committed) {
      // The last frames wait for the commit with the tail, unless none has left yet (the first byte never waits).
      const alone = parts.alone();
      writer.holdForTail(alone);
      // The only request being served: its commit starts at once instead of a loop turn later.
      if (alone) parts.ledgerWriter.startNow();
      await committed;
    }
    writer.write(tail);
    writer.end();
    record(parts, trace, 'success', 200);
  } catch (thrown) {
    await endFailed(call, attempt, writer, encoder, attemptError(attempt, thrown));
  } finally {
    openStreams.value--;
  }
}

/** The stream failed after its first byte: the surface's error event and terminator, never a silent cut. */
async function endFailed(
  call: Call,
  attempt: Attempt,
  writer: SseWriter,
  encoder: ReturnType<Call['surface']['encoder']>,
  error: AgoraError,
): Promise<void> {
  const { parts, trace, signal } = call;
  const providerName = attempt.endpoint.provider.name;
  if (signal.byShutdown && !writer.closed) {
    // The shutdown grace ran out mid-stream: an error event, charged for what was delivered, recorded as cancelled.
    attempt.health.abandon();
    trace.finishReason = { unified: 'error', raw: 'error' };
    await chargeDelivered(call, attempt);
    const stopped = shuttingDown();
    writer.write(encoder.error(stopped, providerName));
    writer.end();
    return record(parts, trace, 'cancelled', 200, stopped);
  }
  if (signal.aborted || writer.closed) {
    attempt.health.abandon();
    await chargeDelivered(call, attempt);
    return record(parts, trace, 'cancelled', 499, error);
  }
  if (error.code !== 'ledger_unavailable') {
    attemptFailed(parts, attempt, error, trace.id, 'stream failed after its first byte');
    await post(parts, call.billing, trace, price(trace, attempt, false))?.catch(() => undefined);
  }
  trace.finishReason = { unified: 'error', raw: 'error' };
  writer.write(encoder.error(error, providerName));
  writer.end();
  record(parts, trace, 'error', 200, error);
}
