/**
 * The fallback loop: try each planned attempt in order until one answers. Only failures before
 * the first byte reaches the client are retried here; a retryable error moves on, a request error
 * (400, context too long …) stops at once. At most `maxAttempts` tries. Retries that could
 * amplify load on struggling providers — after an upstream answered with overload (5xx, 429,
 * timeout) and into an endpoint that is itself failing lately — are bounded by a budget shared by
 * all requests (Envoy's retry budget: retries in flight ≤ max(3, 20% of requests in flight)).
 * A retry to a healthy endpoint, or after a connection that never reached the upstream (refused,
 * reset), adds no load to anyone struggling and is always allowed. Every outcome feeds the endpoint's
 * health; every attempt, and every endpoint the plan skipped, is recorded with its reason.
 */
import type { CancelSignal } from '../lib/cancel.js';
import { toAgoraError, UpstreamError, type AgoraError } from '../contract/errors.js';
import type { Exclusion } from './filters.js';
import type { Attempt } from './plan.js';

export interface AttemptRecord {
  provider: string;
  endpoint: string;
  model: string;
  upstream_model: string;
  /** HTTP status of the attempt; 0 for an endpoint that was skipped. */
  status: number;
  latency_ms: number;
  /** `ok`, the error code that made us leave, or `skipped:<constraint>`. */
  reason: string;
}

export interface Executed<T> {
  attempt: Attempt;
  value: T;
  records: AttemptRecord[];
}

/** Thrown when every attempt failed: the last error, with the history. */
export class AllAttemptsFailed extends Error {
  constructor(
    readonly error: AgoraError,
    readonly records: AttemptRecord[],
    readonly lastAttempt: Attempt | undefined,
  ) {
    super(error.message);
  }
}

/** Retries in flight are capped at max(minimum, ratio × requests in flight). */
export class RetryBudget {
  active = 0;
  retrying = 0;

  constructor(
    private readonly ratio = 0.2,
    private readonly minimum = 3,
  ) {}

  allows(): boolean {
    return this.retrying < Math.max(this.minimum, this.ratio * this.active);
  }
}

export function skippedRecords(excluded: Exclusion[]): AttemptRecord[] {
  return excluded.map((item) => ({
    provider: item.provider,
    endpoint: item.endpoint,
    model: item.endpoint.slice(0, item.endpoint.lastIndexOf(':')),
    upstream_model: '',
    status: 0,
    latency_ms: 0,
    reason: `skipped:${item.constraint}`,
  }));
}

function record(attempt: Attempt, status: number, started: number, reason: string): AttemptRecord {
  return {
    provider: attempt.endpoint.provider.id,
    endpoint: attempt.endpoint.key,
    model: attempt.modelId,
    upstream_model: attempt.endpoint.endpoint.upstreamModel,
    status,
    latency_ms: Math.round(performance.now() - started),
    reason,
  };
}

/**
 * Feeds a failed attempt's outcome to its endpoint's health. Only what the upstream is responsible
 * for counts (an `UpstreamError`: connect errors, timeouts, 5xx, 429, broken or malformed answers).
 * A bad request, a client that left, or a bug in the gateway (a translator throwing, say) says
 * nothing about the endpoint: otherwise one caller could open every circuit of a model for everyone.
 */
export function reportFailure(attempt: Attempt, error: AgoraError, now = Date.now()): void {
  if (!(error instanceof UpstreamError) || error.status === 499) attempt.health.abandon();
  else if (error.status === 429) attempt.health.rateLimited(now, Number(error.headers?.['retry-after']) || undefined);
  else if (error.retryable) attempt.health.failure(now);
  else attempt.health.abandon(); // a 4xx caused by the request itself
}

/**
 * What an attempt threw, as an AgoraError whose every text has passed the configuration's secrets
 * (an upstream may echo the credentials it was sent): the one place every upstream failure goes
 * through before it is answered, recorded or logged.
 */
export function attemptError(attempt: Attempt, thrown: unknown): AgoraError {
  const error = toAgoraError(thrown);
  if (!(error instanceof UpstreamError)) return error;
  const secrets = attempt.endpoint.provider.secrets;
  error.message = secrets.redact(error.message);
  const raw = error.metadata?.raw;
  if (typeof raw === 'string') error.metadata!.raw = secrets.redact(raw);
  return error;
}

export interface ExecuteOptions {
  maxAttempts: number;
  budget: RetryBudget;
  /** Records of endpoints the plan skipped, listed first. */
  skipped?: AttemptRecord[];
  /** Told of every failed attempt (its error already redacted): the lifecycle reports it to health and the log. */
  onFailure: (attempt: Attempt, error: AgoraError) => void;
  /** When tracing: each attempt made pushes its start and end (performance.now()), in the order of its record. */
  timings?: number[] | undefined;
}

/**
 * Runs `call` against each attempt until one succeeds; every failure goes to `options.onFailure`.
 * The caller reports the winner's outcome when it is known (a stream's only at its end).
 */
export async function executeWithFallback<T>(
  attempts: Attempt[],
  signal: CancelSignal,
  options: ExecuteOptions,
  call: (attempt: Attempt) => Promise<T>,
): Promise<Executed<T>> {
  const records: AttemptRecord[] = options.skipped ? [...options.skipped] : [];
  const budget = options.budget;
  let lastError: AgoraError | undefined;
  let lastAttempt: Attempt | undefined;
  const limit = Math.min(attempts.length, options.maxAttempts);
  budget.active++;
  try {
    for (let index = 0; index < limit; index++) {
      const attempt = attempts[index]!;
      if (index > 0 && lastError && amplifies(lastError) && !budget.allows() && attempt.health.recentlyOut(Date.now())) {
        records.push(record(attempt, 0, performance.now(), 'skipped:retry_budget'));
        continue;
      }
      const started = performance.now();
      lastAttempt = attempt;
      attempt.health.begin(Date.now());
      if (index > 0) budget.retrying++;
      try {
        const value = await call(attempt);
        records.push(record(attempt, 200, started, 'ok'));
        options.timings?.push(started, performance.now());
        return { attempt, value, records };
      } catch (thrown) {
        const error = attemptError(attempt, thrown);
        records.push(record(attempt, error.status, started, error.code));
        options.timings?.push(started, performance.now());
        options.onFailure(attempt, error);
        lastError = error;
        if (!error.retryable || signal.aborted) break;
      } finally {
        if (index > 0) budget.retrying--;
      }
    }
  } finally {
    budget.active--;
  }
  throw new AllAttemptsFailed(lastError ?? budgetError(), records, lastAttempt);
}

/** Failures where the upstream did work (or is overloaded): retrying them costs providers capacity. */
const CONNECTION_FAILURES = new Set(['upstream_unreachable', 'upstream_connection_reset', 'upstream_connect_timeout']);

function amplifies(error: AgoraError): boolean {
  return !CONNECTION_FAILURES.has(error.code);
}

function budgetError(): AgoraError {
  return toAgoraError(new Error('retry budget exhausted before any attempt'));
}
