/**
 * The fallback loop (executeWithFallback) and the rule of which failures count against an endpoint
 * (reportFailure), with attempts whose calls are scripted: what is retried, what stops at once, what
 * the records say, what the retry budget skips, and that every failure handed on is redacted.
 */
import { describe, expect, it } from 'vitest';
import type { CatalogEndpoint } from '../catalog/snapshot.js';
import { CancelSource, NEVER_CANCELLED } from '../lib/cancel.js';
import { Secrets } from '../lib/secrets.js';
import { AgoraError, invalidRequest, toAgoraError, UpstreamError } from '../contract/errors.js';
import { EndpointHealth } from './health.js';
import { AllAttemptsFailed, attemptError, executeWithFallback, reportFailure, RetryBudget, type ExecuteOptions } from './execute.js';
import type { Attempt } from './plan.js';

const SECRET = 'CanaryProviderKey0123456789';

function attempt(provider: string): Attempt {
  const endpoint = {
    key: `test/model:${provider}`,
    provider: { id: provider, name: provider, secrets: new Secrets([SECRET]) },
    endpoint: { upstreamModel: `${provider}-model` },
  } as unknown as CatalogEndpoint;
  return { modelId: 'test/model', endpoint, adapter: {} as Attempt['adapter'], health: new EndpointHealth(endpoint.key) };
}

const upstream = (status: number, code: string, message = 'upstream said no'): UpstreamError =>
  new UpstreamError(message, { status, code });

function options(overrides: Partial<ExecuteOptions> = {}): ExecuteOptions & { failures: Array<[string, AgoraError]> } {
  const failures: Array<[string, AgoraError]> = [];
  return {
    maxAttempts: 3,
    budget: new RetryBudget(),
    onFailure: (tried, error) => failures.push([tried.endpoint.provider.id, error]),
    failures,
    ...overrides,
  };
}

/** Runs the loop over `attempts`, each answering with the scripted outcome for its provider. */
function run(attempts: Attempt[], outcomes: Record<string, Error | string>, opts = options(), signal = NEVER_CANCELLED) {
  const called: string[] = [];
  const result = executeWithFallback(attempts, signal, opts, async (tried) => {
    const id = tried.endpoint.provider.id;
    called.push(id);
    const outcome = outcomes[id]!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  });
  return { result, called, opts };
}

describe('executeWithFallback', () => {
  it('returns the first answer; a success hands nothing to onFailure', async () => {
    const { result, called, opts } = run([attempt('a'), attempt('b')], { a: 'from a', b: 'from b' });
    const executed = await result;
    expect(executed.value).toBe('from a');
    expect(executed.attempt.endpoint.provider.id).toBe('a');
    expect(called).toEqual(['a']);
    expect(opts.failures).toEqual([]);
    expect(executed.records).toEqual([expect.objectContaining({ provider: 'a', status: 200, reason: 'ok', upstream_model: 'a-model' })]);
  });

  it('moves on after a retryable failure, recording each attempt with its status and code', async () => {
    const { result, called, opts } = run([attempt('a'), attempt('b'), attempt('c')], {
      a: upstream(502, 'upstream_error'),
      b: upstream(503, 'upstream_error'),
      c: 'from c',
    });
    const executed = await result;
    expect(executed.value).toBe('from c');
    expect(called).toEqual(['a', 'b', 'c']);
    expect(executed.records.map((record) => [record.provider, record.status, record.reason])).toEqual([
      ['a', 502, 'upstream_error'],
      ['b', 503, 'upstream_error'],
      ['c', 200, 'ok'],
    ]);
    expect(opts.failures.map(([provider]) => provider)).toEqual(['a', 'b']);
  });

  it('stops at once on a failure of the request itself (the same at every endpoint)', async () => {
    const { result, called } = run([attempt('a'), attempt('b')], { a: upstream(400, 'upstream_400'), b: 'from b' });
    const failure = await result.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AllAttemptsFailed);
    expect((failure as AllAttemptsFailed).error.status).toBe(400);
    expect((failure as AllAttemptsFailed).lastAttempt?.endpoint.provider.id).toBe('a');
    expect(called).toEqual(['a']);
  });

  it('tries at most maxAttempts endpoints', async () => {
    const down = upstream(502, 'upstream_error');
    const { result, called } = run(
      [attempt('a'), attempt('b'), attempt('c')],
      { a: down, b: down, c: 'from c' },
      options({ maxAttempts: 2 }),
    );
    await expect(result).rejects.toBeInstanceOf(AllAttemptsFailed);
    expect(called).toEqual(['a', 'b']);
  });

  it('stops when the client has gone away', async () => {
    const signal = new CancelSource();
    signal.cancel();
    const { result, called } = run([attempt('a'), attempt('b')], { a: upstream(502, 'upstream_error'), b: 'from b' }, options(), signal);
    await expect(result).rejects.toBeInstanceOf(AllAttemptsFailed);
    expect(called).toEqual(['a']);
  });

  it('lists the endpoints the plan skipped first in the records', async () => {
    const skipped = [
      {
        provider: 'x',
        endpoint: 'test/model:x',
        model: 'test/model',
        upstream_model: '',
        status: 0,
        latency_ms: 0,
        reason: 'skipped:ignore',
      },
    ];
    const executed = await run([attempt('a')], { a: 'from a' }, options({ skipped })).result;
    expect(executed.records.map((record) => record.reason)).toEqual(['skipped:ignore', 'ok']);
  });

  it('with its retry budget spent, skips a retry that would add load to an endpoint that is itself failing', async () => {
    const shaky = attempt('b');
    shaky.health.rateLimited(Date.now(), 30); // cooling down: recently out
    const { result, called } = run(
      [attempt('a'), shaky],
      { a: upstream(503, 'upstream_error'), b: 'from b' },
      options({ budget: new RetryBudget(0, 0) }),
    );
    const failure = (await result.catch((error: unknown) => error)) as AllAttemptsFailed;
    expect(called).toEqual(['a']);
    expect(failure.records.map((record) => record.reason)).toEqual(['upstream_error', 'skipped:retry_budget']);
  });

  it('always retries after a connection that never reached the upstream, budget or not', async () => {
    const shaky = attempt('b');
    shaky.health.rateLimited(Date.now(), 30);
    const { result, called } = run(
      [attempt('a'), shaky],
      { a: upstream(502, 'upstream_unreachable'), b: 'from b' },
      options({ budget: new RetryBudget(0, 0) }),
    );
    expect((await result).value).toBe('from b');
    expect(called).toEqual(['a', 'b']);
  });

  it('hands every failure on redacted: a credential the upstream echoed never leaves', async () => {
    const echoed = new UpstreamError(`rejected key ${SECRET}`, { status: 401, code: 'upstream_401', metadata: { raw: `key=${SECRET}` } });
    const { result, opts } = run([attempt('a')], { a: echoed });
    const failure = (await result.catch((error: unknown) => error)) as AllAttemptsFailed;
    expect(failure.error.message).toBe('rejected key [REDACTED]');
    expect(failure.error.metadata?.raw).toBe('key=[REDACTED]');
    expect(opts.failures[0]![1].message).not.toContain(SECRET);
  });
});

describe('reportFailure: only what the upstream is responsible for counts against it', () => {
  const outcomes = (error: AgoraError): { requests: number; cooling: boolean } => {
    const tried = attempt('a');
    const now = Date.now();
    tried.health.begin(now);
    reportFailure(tried, error, now);
    return { requests: tried.health.stats(now).requests_1d, cooling: tried.health.cooldownUntil > now };
  };

  it('counts 5xx, timeouts and broken answers as failures', () => {
    expect(outcomes(upstream(502, 'upstream_error'))).toEqual({ requests: 1, cooling: false });
    expect(outcomes(upstream(504, 'upstream_timeout'))).toEqual({ requests: 1, cooling: false });
    expect(outcomes(upstream(502, 'upstream_malformed_response'))).toEqual({ requests: 1, cooling: false });
  });

  it('puts a 429 into a cool-down instead', () => {
    expect(
      outcomes(new UpstreamError('slow down', { status: 429, code: 'upstream_rate_limited', headers: { 'retry-after': '5' } })),
    ).toEqual({ requests: 1, cooling: true });
  });

  it('never counts a bad request, a client that left, or a gateway bug', () => {
    expect(outcomes(upstream(400, 'upstream_400'))).toEqual({ requests: 0, cooling: false });
    expect(
      outcomes(new UpstreamError('The request was cancelled.', { status: 499, code: 'client_closed_request', retryable: false })),
    ).toEqual({ requests: 0, cooling: false });
    expect(outcomes(invalidRequest('bad field', 'messages'))).toEqual({ requests: 0, cooling: false });
    expect(outcomes(toAgoraError(new TypeError('a translator bug')))).toEqual({ requests: 0, cooling: false });
  });

  it('turns a gateway bug into a generic internal error: its own message (which may hold anything) never leaves', () => {
    const bug = attemptError(attempt('a'), new RangeError(`stack overflow near ${SECRET}`));
    expect(bug.code).toBe('internal_error');
    expect(bug.message).toBe('Internal error in the gateway.');
  });
});
