/**
 * Outcomes: every attempt's verdict goes to its endpoint's health from here (failures as the
 * fallback loop meets them, the winner's success when its answer is complete), and every request
 * leaves one generation record.
 */
import { reportFailure } from '../routing/execute.js';
import type { Attempt } from '../routing/plan.js';
import type { AgoraError } from '../contract/errors.js';
import type { GenerationStatus, GenerationTrace } from '../metering/trace.js';
import type { LifecycleParts } from './parts.js';

/** A failed attempt: to health (only what the upstream is responsible for counts) and to the debug log (with the request's generation id), redacted already. */
export function attemptFailed(
  parts: LifecycleParts,
  attempt: Attempt,
  error: AgoraError,
  generationId: string,
  when = 'attempt failed',
): void {
  reportFailure(attempt, error);
  parts.logger.debug(when, {
    generation_id: generationId,
    endpoint: attempt.endpoint.key,
    status: error.status,
    code: error.code,
    error: error.message,
  });
}

/** The answer is complete: a success with its time to first token and generation speed, and the conversation's endpoint remembered. */
export function attemptSucceeded(
  parts: LifecycleParts,
  attempt: Attempt,
  conversation: string | undefined,
  ttftMs: number | undefined,
  tokensPerSecond: number | undefined,
): void {
  attempt.health.success(Date.now(), ttftMs, tokensPerSecond);
  if (conversation) parts.planner.sticky.set(conversation, attempt.endpoint.key, Date.now());
}

/**
 * The one record of a request, handed to the sink (written in batches after the response), counted
 * and traced by telemetry, and logged with its generation id: a failure at info level, every request
 * at debug level (the line is not even built above it).
 */
export function record(
  parts: LifecycleParts,
  trace: GenerationTrace,
  status: GenerationStatus,
  httpStatus: number,
  error?: AgoraError,
): void {
  const row = trace.row(status, httpStatus, error);
  parts.sink.enqueue(row);
  parts.telemetry.record(trace, status, httpStatus, error);
  const logger = parts.logger;
  if (status === 'error' || logger.enabled?.('debug') === true) {
    const fields = {
      generation_id: trace.id,
      status,
      http_status: httpStatus,
      model: trace.model,
      provider: trace.provider,
      streamed: trace.streamed,
      latency_ms: row.latency_ms,
      ttft_ms: row.ttft_ms,
      prompt_tokens: row.prompt_tokens,
      completion_tokens: row.completion_tokens,
      ...(error ? { code: error.code, error: error.message } : {}),
    };
    if (status === 'error') logger.info('request failed', fields);
    else logger.debug('request', fields);
  }
}
