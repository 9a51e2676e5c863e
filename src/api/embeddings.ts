/** POST /v1/embeddings — authenticate → parse → plan → execute with fallback → respond → record. */
import { authenticate } from '../http/middleware/auth.js';
import { limitRequests } from '../http/middleware/rate-limit.js';
import { readJsonBody } from '../http/middleware/body-limit.js';
import type { Exchange } from '../gateway.js';
import { sendError } from '../http/errors.js';
import { abortOnDisconnect, sendJsonAfterSettlement } from '../http/respond.js';
import { costFields } from '../metering/cost.js';
import { release, reserve, settle } from '../metering/settle.js';
import { GenerationTrace } from '../metering/trace.js';
import { estimatePromptTokens } from '../lib/token-estimate.js';
import { AllAttemptsFailed, executeWithFallback, skippedRecords } from '../routing/execute.js';
import { parseEmbeddingRequest } from '../spec/chat-request.js';
import { toEncoding } from '../spec/embedding-encoding.js';
import { shuttingDown } from '../spec/errors.js';

export async function embeddings(exchange: Exchange): Promise<void> {
  const { request, response, gateway } = exchange;
  const key = await authenticate(request.headers, gateway.keys);
  await limitRequests(gateway.limiter, key, response);
  const embedding = parseEmbeddingRequest(await readJsonBody(request, gateway.config.server.bodyLimitBytes));
  const input = embedding.body.input;
  const plan = gateway.planner.plan({
    modelIds: [embedding.model],
    kind: 'embedding',
    provider: embedding.body.provider,
    body: embedding.body,
    promptTokensEstimate: estimatePromptTokens([{ content: Array.isArray(input) ? input.join(' ') : input }]),
    maxTokens: 0,
  });
  const promptTokens = estimatePromptTokens([{ content: Array.isArray(input) ? input.join(' ') : input }]);
  const reserved = reserve(gateway, key, plan.attempts, gateway.config.routing.maxAttempts, promptTokens, 0);
  const billing = reserved instanceof Promise ? await reserved : reserved;
  const trace = new GenerationTrace('embeddings', key.id, embedding.model, false, exchange.startedAt, request.headers);
  const signal = abortOnDisconnect(exchange.response, exchange.gateway.state.stopping);
  try {
    const options = {
      maxAttempts: gateway.config.routing.maxAttempts,
      budget: gateway.budget,
      skipped: skippedRecords(plan.excluded),
      logger: gateway.logger,
    };
    const { attempt, value, records } = await executeWithFallback(plan.attempts, signal, options, (candidate) =>
      candidate.adapter.embed({ request: embedding, upstreamModel: candidate.endpoint.endpoint.upstreamModel, signal }),
    );
    trace.provider = attempt.endpoint.provider.id;
    trace.upstreamModel = attempt.endpoint.endpoint.upstreamModel;
    trace.attempts = records;
    trace.usage = value.usage;
    attempt.health.success(Date.now(), performance.now() - exchange.startedAt);
    value.body.model = attempt.modelId;
    toEncoding(value.body.data, embedding.body.encoding_format === 'base64' ? 'base64' : 'float');
    const { committed } = settle(gateway, billing, trace, attempt, true);
    value.body.usage = { ...(value.body.usage as object | undefined), ...costFields(trace.costBreakdown!) };
    const delivered = await sendJsonAfterSettlement(
      response,
      JSON.stringify({ ...value.body, id: trace.id }),
      {
        'x-agora-generation-id': trace.id,
        'x-agora-provider': trace.provider,
        'x-agora-attempts': String(records.length),
      },
      committed,
    );
    gateway.sink.enqueue(delivered ? trace.row('success', 200) : trace.row('error', 503));
  } catch (error) {
    if (!(error instanceof AllAttemptsFailed)) throw error;
    trace.attempts = error.records;
    if (error.lastAttempt) trace.provider = error.lastAttempt.endpoint.provider.id;
    const headers: Record<string, string> = { 'x-agora-generation-id': trace.id, 'x-agora-attempts': String(error.records.length) };
    if (trace.provider) headers['x-agora-provider'] = trace.provider;
    const cancelled = error.error.status === 499;
    const failure = cancelled && signal.byShutdown ? shuttingDown() : error.error;
    if (!cancelled || signal.byShutdown) sendError(response, failure, gateway.logger, headers);
    gateway.sink.enqueue(trace.row(cancelled ? 'cancelled' : 'error', failure.status, failure));
  } finally {
    release(gateway, billing);
  }
}
