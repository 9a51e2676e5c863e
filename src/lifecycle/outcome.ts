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

/** A failed attempt: to health (only what the upstream is responsible for counts) and to the debug log, redacted already. */
export function attemptFailed(parts: LifecycleParts, attempt: Attempt, error: AgoraError, when = 'attempt failed'): void {
  reportFailure(attempt, error);
  parts.logger.debug(when, { endpoint: attempt.endpoint.key, status: error.status, code: error.code, error: error.message });
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

/** The one record of a request, handed to the sink (written in batches after the response). */
export function record(
  parts: LifecycleParts,
  trace: GenerationTrace,
  status: GenerationStatus,
  httpStatus: number,
  error?: AgoraError,
): void {
  parts.sink.enqueue(trace.row(status, httpStatus, error));
}
