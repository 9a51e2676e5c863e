/**
 * The fallback loop: try each planned attempt in order until one answers. Only failures before
 * the first byte reach the client are retried here; a retryable error moves on, a request error
 * (400, context too long …) stops at once. Every attempt is recorded for the generation record.
 */
import { toAgoraError, type AgoraError } from '../spec/errors.js';
import type { ChatEvent } from '../spec/chat-event.js';
import { MAX_ATTEMPTS, type Attempt } from './plan.js';

export interface AttemptRecord {
  provider: string;
  model: string;
  upstream_model: string;
  status: number;
  latency_ms: number;
  /** Why this attempt was left: the error code, or `ok`. */
  reason: string;
}

export interface Executed<T> {
  attempt: Attempt;
  value: T;
  records: AttemptRecord[];
}

/** Thrown when every attempt failed: the last error, with the history. */
export class AllAttemptsFailed extends Error {
  constructor(readonly error: AgoraError, readonly records: AttemptRecord[], readonly lastAttempt: Attempt | undefined) {
    super(error.message);
  }
}

function record(attempt: Attempt, status: number, started: number, reason: string): AttemptRecord {
  return {
    provider: attempt.endpoint.provider.id,
    model: attempt.modelId,
    upstream_model: attempt.endpoint.endpoint.upstreamModel,
    status,
    latency_ms: Math.round(performance.now() - started),
    reason,
  };
}

/** Runs `call` against each attempt until one succeeds. */
export async function executeWithFallback<T>(
  attempts: Attempt[], signal: AbortSignal, call: (attempt: Attempt) => Promise<T>,
): Promise<Executed<T>> {
  const records: AttemptRecord[] = [];
  let lastError: AgoraError | undefined;
  let lastAttempt: Attempt | undefined;
  const limit = Math.min(attempts.length, MAX_ATTEMPTS);
  for (let index = 0; index < limit; index++) {
    const attempt = attempts[index]!;
    const started = performance.now();
    lastAttempt = attempt;
    try {
      const value = await call(attempt);
      records.push(record(attempt, 200, started, 'ok'));
      return { attempt, value, records };
    } catch (thrown) {
      const error = toAgoraError(thrown);
      records.push(record(attempt, error.status, started, error.code));
      lastError = error;
      if (!error.retryable || signal.aborted) break;
    }
  }
  throw new AllAttemptsFailed(lastError!, records, lastAttempt);
}

/** Opens a stream and waits for its first event, so failures before the first byte can fail over. */
export async function openStream(
  stream: AsyncIterable<ChatEvent>,
): Promise<{ iterator: AsyncIterator<ChatEvent>; first: IteratorResult<ChatEvent> }> {
  const iterator = stream[Symbol.asyncIterator]();
  return { iterator, first: await iterator.next() };
}
