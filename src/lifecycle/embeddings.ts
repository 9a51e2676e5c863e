/**
 * An embeddings request's life: plan → reserve → execute (failover) → health outcome → price →
 * render (the encoding the client asked for, the cost in `usage`) → post the charge before the last
 * byte → record. The same steps as a chat answer (chat.ts), without idempotency or tokens limits.
 * Errors leave in `surface`'s shape (OpenAI's on /v1/embeddings, OpenRouter's on /api/v1/embeddings).
 */
import type { KeyRecord } from '../catalog/key-directory.js';
import { abortOnDisconnect } from '../http/respond.js';
import { estimatePromptTokens } from '../lib/token-estimate.js';
import { costFields } from '../metering/cost.js';
import { price, release, reserve } from '../metering/settle.js';
import { GenerationTrace } from '../metering/trace.js';
import { AllAttemptsFailed, executeWithFallback } from '../routing/execute.js';
import type { EmbeddingRequest } from '../contract/chat-request.js';
import { toEncoding } from '../contract/embedding-encoding.js';
import type { ChatSurface } from '../surfaces/surface.js';
import { adopt, executeOptions, failBeforeFirstByte, modelHeaders, type Call } from './call.js';
import { deliverJson } from './chat.js';
import { attemptSucceeded } from './outcome.js';
import type { HttpExchange, LifecycleParts } from './parts.js';

export async function serveEmbeddings(
  parts: LifecycleParts,
  exchange: HttpExchange,
  key: KeyRecord,
  embedding: EmbeddingRequest,
  surface: ChatSurface,
): Promise<void> {
  const input = embedding.body.input;
  const promptTokens = estimatePromptTokens([{ content: Array.isArray(input) ? input.join(' ') : input }]);
  const gate = parts.governance.gate(exchange.request.headers, exchange.request.socket.remoteAddress, key);
  const plan = parts.planner.plan({
    gate,
    modelIds: [embedding.model],
    kind: 'embedding',
    provider: embedding.body.provider,
    body: embedding.body,
    promptTokensEstimate: promptTokens,
    maxTokens: 0,
  });
  const reserved = reserve(parts, key, plan.attempts, parts.maxAttempts, promptTokens, 0);
  const billing = reserved instanceof Promise ? await reserved : reserved;
  const trace = new GenerationTrace(
    'embeddings',
    key.id,
    key.accountId,
    embedding.model,
    false,
    exchange.startedAt,
    exchange.request.headers,
  );
  trace.policy = gate.header;
  parts.telemetry.begin(trace, exchange.request, undefined);
  gate.allowed(embedding.model);
  const signal = abortOnDisconnect(exchange.response);
  const call: Call = { parts, exchange, key, plan, trace, billing, signal, surface, idempotent: undefined };
  try {
    let executed;
    try {
      executed = await executeWithFallback(plan.attempts, signal, executeOptions(call), (attempt) =>
        attempt.adapter.embed({ request: embedding, upstreamModel: attempt.endpoint.endpoint.upstreamModel, signal }),
      );
    } catch (error) {
      if (error instanceof AllAttemptsFailed) return failBeforeFirstByte(call, error);
      throw error;
    }
    const { attempt, value, records } = executed;
    adopt(trace, attempt);
    trace.attempts = records;
    trace.usage = value.usage;
    attemptSucceeded(parts, attempt, undefined, performance.now() - exchange.startedAt, undefined);
    const body = value.body;
    body.model = attempt.modelId;
    toEncoding(body.data, embedding.body.encoding_format === 'base64' ? 'base64' : 'float');
    const cost = price(trace, attempt, true);
    body.usage = { ...(body.usage as object | undefined), ...costFields(cost) };
    await deliverJson(call, JSON.stringify({ ...body, id: trace.id }), modelHeaders(trace), cost);
  } finally {
    release(parts, billing);
  }
}
