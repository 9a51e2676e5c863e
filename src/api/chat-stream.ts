/**
 * The streamed answer of POST /v1/chat/completions: open with failover (events before the first
 * output are held back, so a failure there can still move to the next endpoint), then relay chunk
 * by chunk with backpressure, then settle: the upstream's usage chunk (with our cost) and
 * `data: [DONE]` go out only after the charge is committed. A failure after the first byte ends
 * the stream with an error chunk and [DONE], never a clean stop.
 */
import type { CancelSignal } from '../lib/cancel.js';
import { abortOnDisconnect } from '../http/respond.js';
import { SseWriter } from '../http/sse-writer.js';
import { costFields } from '../metering/cost.js';
import { settle } from '../metering/settle.js';
import { AllAttemptsFailed, attemptError, executeWithFallback, openStream, reportFailure, skippedRecords } from '../routing/execute.js';
import type { Attempt } from '../routing/plan.js';
import type { ChatChunk, ChatEvent } from '../spec/chat-event.js';
import type { ChatRequest } from '../spec/chat-request.js';
import { shuttingDown, UpstreamError, toAgoraError, type AgoraError } from '../spec/errors.js';
import { adopt, failBeforeFirstByte, modelHeaders, outputBytes, remember, withCost, type ChatCall } from './chat-call.js';

interface StreamOpening {
  iterator: AsyncIterator<ChatEvent>;
  /** Events before the first one with output, held back so a failure there can still fail over. */
  held: ChatEvent[];
  done: boolean;
}

async function openWithHeldPrefix(attempt: Attempt, chat: ChatRequest, signal: CancelSignal): Promise<StreamOpening> {
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
    throw new UpstreamError(`${attempt.endpoint.provider.name} ended the stream without any output.`, {
      status: 502,
      code: 'upstream_empty_stream',
    });
  }
  return { iterator, held, done: true };
}

/**
 * The client left mid-stream: the provider still generated what was delivered, so that much is
 * charged (upstream usage if it arrived, else an estimate), as OpenRouter does for cancelled streams.
 */
async function settleCancelled(call: ChatCall, attempt: Attempt, error?: AgoraError): Promise<void> {
  attempt.health.abandon();
  await settle(call.exchange.gateway, call.billing, call.trace, attempt, call.trace.outputBytes > 0).committed?.catch(() => undefined);
  call.exchange.gateway.sink.enqueue(call.trace.row('cancelled', 499, error));
}

export async function respondWithStream(call: ChatCall): Promise<void> {
  const { exchange, chat, plan, trace, billing } = call;
  const { gateway } = exchange;
  const signal = abortOnDisconnect(exchange.response, exchange.gateway.state.stopping);
  const options = {
    maxAttempts: gateway.config.routing.maxAttempts,
    budget: gateway.budget,
    skipped: skippedRecords(plan.excluded),
    logger: gateway.logger,
  };
  let executed;
  try {
    executed = await executeWithFallback(plan.attempts, signal, options, (attempt) => openWithHeldPrefix(attempt, chat, signal));
  } catch (error) {
    if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(call, error, signal);
    throw error;
  }
  const { attempt, value: opening, records } = executed;
  adopt(trace, attempt);
  trace.attempts = records;
  const writer = new SseWriter(exchange.response);
  if (call.idempotent) writer.capture = [];
  const headers = modelHeaders(trace);
  const dropped = opening.held[0]?.dropped;
  if (dropped && dropped.length > 0) headers['x-agora-dropped-parameters'] = dropped.join(', ');
  const adjusted = opening.held[0]?.adjusted;
  if (adjusted && adjusted.length > 0) headers['x-agora-adjusted-parameters'] = adjusted.join(', ');
  writer.open(headers);
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
      await opening.iterator.return?.();
      return await settleCancelled(call, attempt);
    }
    if (!trace.finishReason) {
      throw new UpstreamError(`${providerName} ended the stream without a finish reason; the answer may be cut off.`, {
        status: 502,
        code: 'upstream_truncated',
      });
    }
    const generationSeconds = firstTokenAt === undefined ? 0 : (performance.now() - firstTokenAt) / 1000;
    const completion = trace.usage?.completionTokens;
    attempt.health.success(
      Date.now(),
      trace.ttftMs ?? undefined,
      completion !== undefined && generationSeconds > 0 ? completion / generationSeconds : undefined,
    );
    remember(call, attempt);
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
    // The charge is committed before the usage chunk and [DONE]: a client that saw the whole stream was charged once.
    let tail = '';
    const { committed } = settle(gateway, billing, trace, attempt, firstTokenAt !== undefined, (cost) => {
      final.usage = withCost(final.usage, costFields(cost));
      tail = encoder.end(final);
      return call.idempotent
        ? gateway.idempotency.complete(call.idempotent, {
            status: 200,
            headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8' },
            body: writer.capture!.join('') + tail,
          })
        : undefined;
    });
    if (committed) await committed;
    writer.write(tail);
    writer.end();
    gateway.sink.enqueue(trace.row('success', 200));
  } catch (thrown) {
    const error = attemptError(attempt, thrown);
    if (signal.byShutdown && !writer.closed) {
      // The shutdown grace ran out mid-stream: end it as a failed stream (error chunk, [DONE]),
      // charged for what was delivered, recorded as cancelled — never a silent cut.
      attempt.health.abandon();
      trace.finishReason = { unified: 'error', raw: 'error' };
      await settle(gateway, billing, trace, attempt, trace.outputBytes > 0).committed?.catch(() => undefined);
      const stopped = shuttingDown();
      writer.write(encoder.error(stopped, providerName));
      writer.end();
      gateway.sink.enqueue(trace.row('cancelled', 200, stopped));
      return;
    }
    if (signal.aborted || writer.closed) return await settleCancelled(call, attempt, error);
    const ledgerDown = error.code === 'ledger_unavailable';
    if (!ledgerDown) {
      reportFailure(attempt, error);
      gateway.logger.debug('stream failed after its first byte', {
        endpoint: attempt.endpoint.key,
        status: error.status,
        code: error.code,
        error: error.message,
      });
      await settle(gateway, billing, trace, attempt, false).committed?.catch(() => undefined);
    }
    trace.finishReason = { unified: 'error', raw: 'error' };
    writer.write(encoder.error(error, providerName));
    writer.end();
    gateway.sink.enqueue(trace.row('error', 200, error));
  }
}
