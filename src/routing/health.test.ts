/**
 * Guards per-endpoint passive health (routing/health.ts) as an operator relies on it: the circuit
 * opens after 5 consecutive failures or half of ≥10 recent outcomes, stays open for base × n-th
 * ejection (capped), then admits one probe at a time; a 429 cools the endpoint down for its
 * Retry-After (1 s default, 60 s cap); `abandon()` frees a probe without a verdict; `stats()`
 * reports uptime, error rate and TTFT / throughput percentiles. Every call passes an explicit
 * `now`, so nothing depends on the clock or the machine's speed. Defaults: base 30 s, max 300 s,
 * 5 consecutive failures, window 20, rate rule from 10 outcomes at 50 %.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH, EndpointHealth, HealthRegistry } from './health.js';

/** 2024-05-01 12:00:30 UTC (30 s into a minute, so minute buckets are easy to reason about). */
const T = Date.UTC(2024, 4, 1, 12, 0, 30);
const BASE = DEFAULT_HEALTH.ejectionBaseMs; // 30,000
const MAX = DEFAULT_HEALTH.ejectionMaxMs; // 300,000

function failTimes(health: EndpointHealth, count: number, now: number): void {
  for (let index = 0; index < count; index++) health.failure(now);
}

function succeedTimes(health: EndpointHealth, count: number, now: number): void {
  for (let index = 0; index < count; index++) health.success(now);
}

describe('defaults', () => {
  it('match the documented outlier detection', () => {
    expect(DEFAULT_HEALTH).toMatchObject({
      ejectionBaseMs: 30_000,
      ejectionMaxMs: 300_000,
      consecutiveFailures: 5,
      windowSize: 20,
      minRequestsForRate: 10,
      failureRate: 0.5,
    });
  });
});

describe('consecutive failures', () => {
  it('open the circuit after 5, for ejectionBaseMs', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 4, T);
    expect(health.circuit).toBe('closed');
    expect(health.admits(T)).toBe(true);
    health.failure(T);
    expect(health.circuit).toBe('open');
    expect(health.ejections).toBe(1);
    expect(health.openUntil).toBe(T + 30_000);
    expect(health.admits(T)).toBe(false);
    expect(health.admits(T + 29_999)).toBe(false);
    expect(health.admits(T + 30_000)).toBe(true);
  });

  it('are reset by a success', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 4, T);
    health.success(T);
    failTimes(health, 4, T); // 4 + success + 4: never 5 in a row (and 9 outcomes, below the rate rule's 10)
    expect(health.circuit).toBe('closed');
    health.failure(T); // the 5th in a row
    expect(health.circuit).toBe('open');
  });

  it('honour a configured threshold and base', () => {
    const health = new EndpointHealth('m:p', { ...DEFAULT_HEALTH, consecutiveFailures: 2, ejectionBaseMs: 1_000 });
    failTimes(health, 2, T);
    expect(health.circuit).toBe('open');
    expect(health.openUntil).toBe(T + 1_000);
  });

  it('reported while the circuit is open do not extend it', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    // Requests started before the circuit opened finish with failures later.
    failTimes(health, 3, T + 10_000);
    expect(health.openUntil).toBe(T + 30_000);
    expect(health.ejections).toBe(1);
  });
});

describe('failure rate', () => {
  it('opens the circuit when half of at least 10 recent outcomes failed', () => {
    const health = new EndpointHealth('m:p');
    // S F S F S F S F S: 9 outcomes, 4 failures, never 2 failures in a row.
    for (let index = 0; index < 4; index++) {
      health.success(T);
      health.failure(T);
    }
    health.success(T);
    expect(health.circuit).toBe('closed');
    health.failure(T); // 10 outcomes, 5 failures: 5 ≥ 0.5 × 10
    expect(health.circuit).toBe('open');
    expect(health.openUntil).toBe(T + BASE);
  });

  it('does not open below half', () => {
    const health = new EndpointHealth('m:p');
    // 12 outcomes, 4 failures (33 %), at most 1 in a row.
    for (const failed of [false, false, false, true, false, true, false, true, false, false, false, true]) {
      if (failed) health.failure(T);
      else health.success(T);
    }
    expect(health.circuit).toBe('closed');
    expect(health.errorRate()).toBeCloseTo(4 / 12, 12);
  });

  it('does not apply to fewer than 10 outcomes', () => {
    const health = new EndpointHealth('m:p');
    // S F F F F ... 4 failures after 1 success: 80 % of 5, but only 5 outcomes and 4 in a row.
    health.success(T);
    failTimes(health, 4, T);
    expect(health.circuit).toBe('closed');
  });
});

describe('half-open probing', () => {
  it('rejoins the pool once openUntil has passed, so live traffic probes it; while the probe is out it is only a late choice', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    const reopen = T + BASE;
    expect(health.admits(reopen - 1)).toBe(false);
    expect(health.recentlyOut(reopen - 1)).toBe(true);
    expect(health.admits(reopen)).toBe(true);
    expect(health.recentlyOut(reopen)).toBe(false); // the probe is due: a first choice like any other
    health.begin(reopen);
    expect(health.circuit).toBe('half-open');
    // While the probe is in flight, another request may still go there, but only behind every endpoint that is not recovering.
    expect(health.admits(reopen)).toBe(true);
    expect(health.recentlyOut(reopen)).toBe(true);
    expect(health.recentlyOut(reopen + 5_000)).toBe(true);
  });

  it('closes the circuit after a good probe', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    health.begin(T + BASE);
    health.success(T + BASE + 200);
    expect(health.circuit).toBe('closed');
    expect(health.admits(T + BASE + 200)).toBe(true);
    expect(health.stats(T + BASE + 200)).toMatchObject({ circuit: 'closed', open_until: null });
  });

  it('reopens it for longer after a bad probe: the n-th ejection lasts n × base, capped at the max', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    const durations: number[] = [health.openUntil - T];
    let now = health.openUntil;
    for (let probe = 0; probe < 11; probe++) {
      expect(health.admits(now)).toBe(true);
      health.begin(now);
      health.failure(now);
      expect(health.circuit).toBe('open');
      durations.push(health.openUntil - now);
      now = health.openUntil;
    }
    // 30 s, 60 s, … 300 s (10 × 30 s = the cap), then 300 s again (11 × 30 s = 330 s > cap).
    expect(durations).toEqual([30_000, 60_000, 90_000, 120_000, 150_000, 180_000, 210_000, 240_000, 270_000, 300_000, 300_000, 300_000]);
    expect(health.ejections).toBe(12);
    expect(MAX).toBe(300_000);
  });

  it('keeps the ejection count after a short healthy spell, and starts over after a long one (10 × base)', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    health.begin(T + BASE);
    health.success(T + BASE); // closed at T + 30 s, after ejection 1
    const closedAt = T + BASE;
    // Flush the outcome window with successes, so only the consecutive rule can trip below.
    succeedTimes(health, 20, closedAt);

    // 10 × base = 300 s later exactly: not longer than 10 × base, so this is ejection 2 (60 s).
    failTimes(health, 5, closedAt + 10 * BASE);
    expect(health.ejections).toBe(2);
    expect(health.openUntil - (closedAt + 10 * BASE)).toBe(60_000);

    const other = new EndpointHealth('m:q');
    failTimes(other, 5, T);
    other.begin(T + BASE);
    other.success(T + BASE);
    succeedTimes(other, 20, T + BASE);
    // 1 ms more than 10 × base after closing: the multiplier starts over at 1 (30 s).
    failTimes(other, 5, T + BASE + 10 * BASE + 1);
    expect(other.ejections).toBe(1);
    expect(other.openUntil - (T + BASE + 10 * BASE + 1)).toBe(30_000);
  });

  it('abandon() frees the probe slot and records no outcome', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    const reopen = T + BASE;
    const before = health.stats(reopen);
    health.begin(reopen);
    expect(health.recentlyOut(reopen)).toBe(true); // its probe is out
    health.abandon(); // the client left: no verdict on the endpoint
    expect(health.recentlyOut(reopen)).toBe(false); // the next request may probe it
    expect(health.circuit).toBe('half-open');
    expect(health.ejections).toBe(1);
    const after = health.stats(reopen);
    expect(after.requests_1d).toBe(before.requests_1d); // 5, the failures that opened it
    expect(after.requests_1d).toBe(5);
    expect(after.error_rate).toBe(before.error_rate);
    expect(after.uptime_5m).toBe(before.uptime_5m);
  });
});

describe('429 cool-down', () => {
  // Found by this suite: a half-open probe answered with a 429 used to keep the probe slot forever,
  // so the endpoint was never admitted again after the cool-down and the ejection had passed.
  it('releases a half-open probe answered with a 429, so the endpoint is admitted again later', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    const reopen = T + BASE;
    health.begin(reopen); // the probe
    health.rateLimited(reopen, 2); // … is answered 429, Retry-After: 2
    expect(health.admits(reopen + 1_999)).toBe(false); // cooling down, as it should
    // Ten minutes later (past the 2 s cool-down and any ejection, 300 s at most) a request may go again.
    expect(health.admits(reopen + 600_000)).toBe(true); // actual: false, forever
  });

  it('honours Retry-After', () => {
    const health = new EndpointHealth('m:p');
    health.rateLimited(T, 5);
    expect(health.admits(T + 4_999)).toBe(false);
    expect(health.admits(T + 5_000)).toBe(true);
    // A cool-down is not a circuit.
    expect(health.circuit).toBe('closed');
    expect(health.ejections).toBe(0);
  });

  it('caps Retry-After at 60 s', () => {
    const health = new EndpointHealth('m:p');
    health.rateLimited(T, 3_600);
    expect(health.cooldownUntil).toBe(T + 60_000);
    expect(health.admits(T + 59_999)).toBe(false);
    expect(health.admits(T + 60_000)).toBe(true);
  });

  it('waits 1 s when no Retry-After was given (or it was 0)', () => {
    const health = new EndpointHealth('m:p');
    health.rateLimited(T, undefined);
    expect(health.cooldownUntil).toBe(T + 1_000);
    const zero = new EndpointHealth('m:q');
    zero.rateLimited(T, 0);
    expect(zero.cooldownUntil).toBe(T + 1_000);
  });

  it('never shortens a longer cool-down already running', () => {
    const health = new EndpointHealth('m:p');
    health.rateLimited(T, 30);
    health.rateLimited(T + 1_000, 1);
    expect(health.cooldownUntil).toBe(T + 30_000);
  });

  it('makes the endpoint recently out while it lasts', () => {
    const health = new EndpointHealth('m:p');
    expect(health.recentlyOut(T)).toBe(false);
    health.rateLimited(T, 10);
    expect(health.recentlyOut(T + 9_999)).toBe(true);
  });
});

describe('stats()', () => {
  it('reports nothing measured before any traffic', () => {
    const stats = new EndpointHealth('m:p').stats(T);
    expect(stats).toEqual({
      circuit: 'closed',
      open_until: null,
      ejections: 0,
      error_rate: null,
      ttft_ms: { ewma: null, p50: null, p75: null, p90: null, p99: null },
      tokens_per_second: { ewma: null, p50: null, p75: null, p90: null, p99: null },
      uptime_5m: null,
      uptime_30m: null,
      uptime_1d: null,
      requests_1d: 0,
    });
  });

  it('reports uptime as a percentage and the recent error rate', () => {
    const health = new EndpointHealth('m:p');
    succeedTimes(health, 3, T);
    health.failure(T);
    // 3 of 4 succeeded: 75 %; 1 of 4 failed: 0.25.
    expect(health.stats(T)).toMatchObject({ uptime_5m: 75, uptime_30m: 75, uptime_1d: 75, error_rate: 0.25, requests_1d: 4 });
    // 2 of 3: 66.666… % rounded to two decimals.
    const third = new EndpointHealth('m:q');
    succeedTimes(third, 2, T);
    third.failure(T);
    expect(third.stats(T).uptime_5m).toBe(66.67);
  });

  it('counts each outcome in the windows that contain its minute', () => {
    const health = new EndpointHealth('m:p');
    // Minute −5 (outside the last 5 minutes, inside 30): one failure.
    health.failure(T - 5 * 60_000);
    // Minute −29 (inside 30): one failure. Minute −30 (outside 30, inside the day): one failure.
    health.failure(T - 29 * 60_000);
    health.failure(T - 30 * 60_000);
    // Exactly one day ago (minute −1440): outside every window.
    health.failure(T - 24 * 60 * 60_000);
    // This minute: three successes.
    succeedTimes(health, 3, T);
    const stats = health.stats(T);
    expect(stats.uptime_5m).toBe(100); // 3 / 3
    expect(stats.uptime_30m).toBe(60); // 3 / (3 + 2)
    expect(stats.uptime_1d).toBe(50); // 3 / (3 + 3)
    expect(stats.requests_1d).toBe(6);
  });

  it('reports TTFT and throughput percentiles and their EWMA', () => {
    const health = new EndpointHealth('m:p');
    // 11 TTFTs 100 … 1,100 ms in scrambled order; sorted, index 5 (p50) is 600, index 8 (p75: ⌊0.75 × 11⌋) is 900,
    // index 9 (p90) is 1,000 and index 10 (p99) is 1,100.
    for (const ttft of [700, 100, 1_100, 300, 900, 500, 200, 1_000, 400, 800, 600]) health.success(T, ttft, ttft / 10);
    const stats = health.stats(T);
    expect(stats.ttft_ms.p50).toBe(600);
    expect(stats.ttft_ms.p75).toBe(900);
    expect(stats.ttft_ms.p90).toBe(1_000);
    expect(stats.ttft_ms.p99).toBe(1_100);
    // Throughput 10 … 110 tokens/s: p50 60, p75 90, p90 100, p99 110.
    expect(stats.tokens_per_second.p50).toBe(60);
    expect(stats.tokens_per_second.p75).toBe(90);
    expect(stats.tokens_per_second.p90).toBe(100);
    expect(stats.tokens_per_second.p99).toBe(110);
  });

  it('sorts samples as numbers, not as text', () => {
    const health = new EndpointHealth('m:p');
    // As text, "1000" < "200" < "30"; as numbers the median of 30, 200, 1000 is 200.
    for (const ttft of [1_000, 30, 200]) health.success(T, ttft);
    expect(health.stats(T).ttft_ms.p50).toBe(200);
  });

  it('weights the EWMA 0.2 towards each new sample', () => {
    const health = new EndpointHealth('m:p');
    health.success(T, 100);
    health.success(T, 200);
    // 100 + 0.2 × (200 − 100) = 120.
    expect(health.stats(T).ttft_ms.ewma).toBeCloseTo(120, 9);
    health.success(T, 20);
    // 120 + 0.2 × (20 − 120) = 100.
    expect(health.stats(T).ttft_ms.ewma).toBeCloseTo(100, 9);
  });

  it('ignores a non-finite throughput and keeps percentiles to the latest samples', () => {
    const health = new EndpointHealth('m:p');
    health.success(T, undefined, Number.POSITIVE_INFINITY);
    expect(health.stats(T).tokens_per_second.p50).toBeNull();
    // 200 samples of 1,000 then 200 of 10: only recent samples count, so the p90 is 10.
    for (let index = 0; index < 200; index++) health.success(T, 1_000);
    for (let index = 0; index < 200; index++) health.success(T, 10);
    expect(health.stats(T).ttft_ms.p90).toBe(10);
  });

  it('shows an open circuit as half-open once it would admit a probe', () => {
    const health = new EndpointHealth('m:p');
    failTimes(health, 5, T);
    expect(health.stats(T + 1_000)).toMatchObject({ circuit: 'open', open_until: T + BASE, ejections: 1 });
    expect(health.stats(T + BASE)).toMatchObject({ circuit: 'half-open', open_until: T + BASE });
  });
});

describe('HealthRegistry', () => {
  it('keeps one EndpointHealth per endpoint key, with the registry options', () => {
    const registry = new HealthRegistry({ ...DEFAULT_HEALTH, consecutiveFailures: 1 });
    const first = registry.get('m:p');
    expect(registry.get('m:p')).toBe(first);
    expect(registry.get('m:q')).not.toBe(first);
    first.failure(T);
    expect(first.circuit).toBe('open');
    expect(registry.get('m:q').circuit).toBe('closed');
  });
});
