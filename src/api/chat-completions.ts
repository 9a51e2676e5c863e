/**
 * POST /v1/chat/completions — reads top to bottom:
 * authenticate → rate limits → parse → idempotency → plan → reserve credit → execute (fallback
 * before the first byte) → respond (JSON here, SSE in chat-stream.ts) → settle (the charge is
 * group-committed before the response's last byte) → health → record (enqueued).
 * Nothing before the first byte waits on a database.
 */
import { authenticate } from '../http/middleware/auth.js';
import { parseJsonBody, readBody } from '../http/middleware/body-limit.js';
import { debitTokens, limitRequests, limitTokens } from '../http/middleware/rate-limit.js';
import type { Exchange } from '../gateway.js';
import { abortOnDisconnect, replayStored, sendJsonAfterSettlement } from '../http/respond.js';
import { estimatePromptTokens } from '../lib/token-estimate.js';
import { costFields } from '../metering/cost.js';
import { hashRequest, type IdempotentCall } from '../metering/idempotency.js';
import { release, reserve, settle } from '../metering/settle.js';
import { GenerationTrace } from '../metering/trace.js';
import { AllAttemptsFailed, executeWithFallback, skippedRecords } from '../routing/execute.js';
import { conversationKey } from '../routing/stickiness.js';
import type { KeyRecord } from '../catalog/keys.js';
import { parseChatRequest, type ChatRequest } from '../spec/chat-request.js';
import { OPENAI_SURFACE } from '../surfaces/openai.js';
import type { ChatSurface } from '../surfaces/surface.js';
import { invalidRequest, toAgoraError } from '../spec/errors.js';
import { adopt, failBeforeFirstByte, hasAnswer, modelHeaders, remember, withCost, type ChatCall } from './chat-call.js';
import { respondWithStream } from './chat-stream.js';

export async function chatCompletions(exchange: Exchange): Promise<void> {
  const { request, gateway } = exchange;
  const authenticated = authenticate(request.headers, gateway.keys);
  const key = authenticated instanceof Promise ? await authenticated : authenticated;
  if (key.rpm !== null) await limitRequests(gateway.limiter, key, exchange.response);
  const raw = await readBody(request, gateway.config.server.bodyLimitBytes);
  await runChat(exchange, key, raw, parseChatRequest(parseJsonBody(raw)), OPENAI_SURFACE);
}

/**
 * Everything after parsing, shared by every surface: tokens limit → idempotency → plan → reserve →
 * execute → respond in `surface`'s shape → settle → record.
 */
export async function runChat(exchange: Exchange, key: KeyRecord, raw: Buffer, chat: ChatRequest, surface: ChatSurface): Promise<void> {
  const { request, gateway } = exchange;
  const promptTokensEstimate = estimatePromptTokens(chat.body.messages, chat.body.tools);
  if (key.tpm !== null) await limitTokens(gateway.limiter, key, exchange.response, promptTokensEstimate);
  const idempotent = idempotentCall(exchange, key.id, raw);
  if (idempotent) {
    const stored = await gateway.idempotency.begin(idempotent);
    if (stored) return replayStored(exchange.response, stored);
  }
  try {
    const plan = gateway.planner.plan({
      modelIds: chat.models,
      kind: 'chat',
      provider: chat.body.provider,
      body: chat.body,
      promptTokensEstimate,
      maxTokens: chat.maxTokens,
      conversation: () => conversationKey(key.id, chat.models[0]!, chat.body.messages),
    });
    const reserved = reserve(gateway, key, plan.attempts, gateway.config.routing.maxAttempts, promptTokensEstimate, chat.maxTokens);
    const billing = reserved instanceof Promise ? await reserved : reserved;
    const trace = new GenerationTrace('chat', key.id, chat.models[0]!, chat.stream, exchange.startedAt, request.headers);
    trace.promptTokensEstimate = promptTokensEstimate;
    const call: ChatCall = { exchange, chat, plan, trace, billing, idempotent, surface };
    try {
      if (chat.stream) await respondWithStream(call);
      else await respondWithJson(call);
    } finally {
      release(gateway, billing); // no-op when settled
      debitTokens(gateway.limiter, key, trace.usage?.completionTokens);
    }
  } finally {
    if (idempotent) gateway.idempotency.abandon(idempotent); // no-op once completed
  }
}

function idempotentCall(exchange: Exchange, keyId: string, raw: Buffer): IdempotentCall | undefined {
  const header = exchange.request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.length === 0 || header.length > 255) {
    throw invalidRequest('Invalid Idempotency-Key header: expected 1 to 255 characters.', 'Idempotency-Key', 'invalid_idempotency_key');
  }
  return { keyId, idempotencyKey: header, requestHash: hashRequest(raw) };
}

async function respondWithJson(call: ChatCall): Promise<void> {
  const { exchange, chat, plan, trace, billing } = call;
  const { response, gateway } = exchange;
  const signal = abortOnDisconnect(exchange.response, exchange.gateway.state.stopping);
  const options = {
    maxAttempts: gateway.config.routing.maxAttempts,
    budget: gateway.budget,
    skipped: skippedRecords(plan.excluded),
    logger: gateway.logger,
  };
  let executed;
  try {
    executed = await executeWithFallback(plan.attempts, signal, options, (attempt) =>
      attempt.adapter.chat({ request: chat, upstreamModel: attempt.endpoint.endpoint.upstreamModel, signal }),
    );
  } catch (error) {
    if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(call, error, signal);
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
  attempt.health.success(
    Date.now(),
    elapsedMs,
    result.usage?.completionTokens === undefined ? undefined : result.usage.completionTokens / (elapsedMs / 1000),
  );
  remember(call, attempt);
  const body = result.body;
  body.id = trace.id;
  body.model = attempt.modelId;
  body.provider = attempt.endpoint.provider.name;
  const headers = modelHeaders(trace);
  if (result.dropped && result.dropped.length > 0) headers['x-agora-dropped-parameters'] = result.dropped.join(', ');
  if (result.adjusted && result.adjusted.length > 0) headers['x-agora-adjusted-parameters'] = result.adjusted.join(', ');
  let text = '';
  const { committed } = settle(gateway, billing, trace, attempt, hasAnswer(body.choices), (cost) => {
    body.usage = withCost(body.usage, costFields(cost));
    text = JSON.stringify(call.surface.answer(body));
    return call.idempotent
      ? gateway.idempotency.complete(call.idempotent, {
          status: 200,
          headers: { ...headers, 'content-type': 'application/json' },
          body: text,
        })
      : undefined;
  });
  const delivered = await sendJsonAfterSettlement(response, text, headers, committed);
  gateway.sink.enqueue(
    delivered ? trace.row('success', 200) : trace.row('error', 503, toAgoraError(await committed!.catch((error: unknown) => error))),
  );
}
