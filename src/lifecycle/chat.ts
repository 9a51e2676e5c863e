/**
 * A chat request's life, the same for every surface (OpenAI Chat Completions, Anthropic Messages):
 * tokens limit → idempotency → plan → reserve credit → execute (failover before the first byte) →
 * health outcome → price → render in the surface's shape → post the charge (the answer's last byte
 * waits for its commit) → record. Streams take the same steps in stream.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { KeyRecord } from '../catalog/key-directory.js';
import { debitTokens, limitTokens } from '../http/rate-limit.js';
import { abortOnDisconnect, replayStored, sendJsonAfterSettlement } from '../http/respond.js';
import { estimatePromptTokens } from '../lib/token-estimate.js';
import { costFields, type Cost } from '../metering/cost.js';
import { hashRequest, type IdempotentCall } from '../metering/idempotency.js';
import { post, price, release, reserve } from '../metering/settle.js';
import { GenerationTrace } from '../metering/trace.js';
import { AllAttemptsFailed, executeWithFallback } from '../routing/execute.js';
import { conversationKey } from '../routing/stickiness.js';
import type { ChatRequest } from '../contract/chat-request.js';
import { invalidRequest, toAgoraError } from '../contract/errors.js';
import { RawAnswer } from '../contract/raw-chunk.js';
import type { ChatSurface } from '../surfaces/surface.js';
import { adopt, executeOptions, failBeforeFirstByte, hasAnswer, modelHeaders, withCost, type Call, type ChatCall } from './call.js';
import { attemptSucceeded, record } from './outcome.js';
import type { HttpExchange, LifecycleParts } from './parts.js';
import { streamChat } from './stream.js';

/** Serves a parsed chat request, answering in `surface`'s shape (JSON or SSE). `raw` is the body as received (for Idempotency-Key). */
export async function serveChat(
  parts: LifecycleParts,
  exchange: HttpExchange,
  key: KeyRecord,
  raw: Buffer,
  chat: ChatRequest,
  surface: ChatSurface,
): Promise<void> {
  const promptTokensEstimate = estimatePromptTokens(chat.body.messages, chat.body.tools);
  if (key.tpm !== null) await limitTokens(parts.limiter, key, exchange.response, promptTokensEstimate);
  const idempotent = idempotentCall(exchange.request, key.id, raw);
  if (idempotent) {
    const stored = await parts.idempotency.begin(idempotent);
    if (stored) return replayStored(exchange.response, stored);
  }
  try {
    const gate = parts.governance.gate(exchange.request.headers, exchange.request.socket.remoteAddress, key);
    const plan = parts.planner.plan({
      gate,
      modelIds: chat.models,
      kind: 'chat',
      provider: chat.body.provider,
      body: chat.body,
      promptTokensEstimate,
      maxTokens: chat.maxTokens,
      conversation: () => conversationKey(key.id, chat.models[0]!, chat.body.messages),
    });
    const reserved = reserve(parts, key, plan.attempts, parts.maxAttempts, promptTokensEstimate, chat.maxTokens);
    const billing = reserved instanceof Promise ? await reserved : reserved;
    const trace = new GenerationTrace(
      'chat',
      key.id,
      key.accountId,
      chat.models[0]!,
      chat.stream,
      exchange.startedAt,
      exchange.request.headers,
    );
    trace.promptTokensEstimate = promptTokensEstimate;
    parts.telemetry.begin(trace, exchange.request, chat.body);
    trace.policy = gate.header;
    gate.allowed(chat.models[0]!);
    const signal = abortOnDisconnect(exchange.response);
    const call: ChatCall = { parts, exchange, key, plan, trace, billing, signal, surface, idempotent, chat };
    try {
      if (chat.stream) await streamChat(call);
      else await answerChat(call);
    } finally {
      release(parts, billing); // no-op when settled
      debitTokens(parts.limiter, key, trace.usage?.completionTokens);
    }
  } finally {
    if (idempotent) parts.idempotency.abandon(idempotent); // no-op once completed
  }
}

function idempotentCall(request: IncomingMessage, keyId: string, raw: Buffer): IdempotentCall | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.length === 0 || header.length > 255) {
    throw invalidRequest('Invalid Idempotency-Key header: expected 1 to 255 characters.', 'Idempotency-Key', 'invalid_idempotency_key');
  }
  return { keyId, idempotencyKey: header, requestHash: hashRequest(raw) };
}

/** The whole answer at once (`stream: false`). */
async function answerChat(call: ChatCall): Promise<void> {
  const { parts, exchange, chat, trace, signal } = call;
  let executed;
  try {
    executed = await executeWithFallback(call.plan.attempts, signal, executeOptions(call), (attempt) =>
      attempt.adapter.chat({
        request: chat,
        upstreamModel: attempt.endpoint.endpoint.upstreamModel,
        signal,
        passthrough: call.surface.passthrough === true,
      }),
    );
  } catch (error) {
    if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(call, error);
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
  const completion = result.usage?.completionTokens;
  attemptSucceeded(
    parts,
    attempt,
    call.plan.conversation,
    elapsedMs,
    completion === undefined ? undefined : completion / (elapsedMs / 1000),
  );
  const body = result.body;
  body.id = trace.id;
  body.model = attempt.modelId;
  body.provider = attempt.endpoint.provider.name;
  const cost = price(trace, attempt, hasAnswer(body.choices));
  body.usage = withCost(body.usage, costFields(cost));
  const text = body instanceof RawAnswer ? body.render() : JSON.stringify(call.surface.answer(body));
  await deliverJson(call, text, modelHeaders(trace, result), cost);
}

/**
 * Posts the charge (with the stored answer of an Idempotency-Key, in the same commit), sends every
 * byte but the last at once and the last once the commit is done, then records the outcome: a client
 * holding the whole answer has been charged for it exactly once.
 */
export async function deliverJson(call: Call, text: string, headers: Record<string, string>, cost: Cost): Promise<void> {
  const { parts, trace } = call;
  const stored = call.idempotent
    ? parts.idempotency.complete(call.idempotent, { status: 200, headers: { ...headers, 'content-type': 'application/json' }, body: text })
    : undefined;
  const committed = post(parts, call.billing, trace, cost, stored);
  // The only request being served: its commit starts once its bytes have left, not a loop turn later.
  const hurry = committed && parts.alone() ? () => parts.ledgerWriter.startNow() : undefined;
  const delivered = await sendJsonAfterSettlement(call.exchange.response, text, headers, committed, hurry);
  if (delivered) record(parts, trace, 'success', 200);
  else record(parts, trace, 'error', 503, toAgoraError(await committed!.catch((error: unknown) => error)));
}
