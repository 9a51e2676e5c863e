/**
 * Passive health per endpoint, Envoy-style outlier detection:
 * - a circuit opens after 5 consecutive failures, or when half of at least 10 recent requests
 *   failed; it stays open for `ejectionBaseMs × ejections` (capped), then lets one probe through
 *   (half-open): a success closes it, a failure opens it again for longer;
 * - a 429 cools the endpoint down for its Retry-After (capped at 60 s);
 * - live stats: EWMA and p50/p75/p90/p99 of time to first token and output tokens/s, the recent error
 *   rate, and uptime over 5 min / 30 min / 1 day (one-minute buckets).
 * Everything is in memory and O(1) per outcome; `routing/shared-health.ts` mirrors it to Redis.
 */

export interface HealthOptions {
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  consecutiveFailures: number;
  /** Window of recent outcomes used for the failure-rate rule. */
  windowSize: number;
  minRequestsForRate: number;
  failureRate: number;
  /** An endpoint with failures in this window is "recently out" and goes behind stable ones. */
  outageWindowMs: number;
}

export const DEFAULT_HEALTH: HealthOptions = {
  ejectionBaseMs: 30_000,
  ejectionMaxMs: 300_000,
  consecutiveFailures: 5,
  windowSize: 20,
  minRequestsForRate: 10,
  failureRate: 0.5,
  outageWindowMs: 30_000,
};

const SAMPLES = 128;
const MINUTES = 24 * 60;
const EWMA_ALPHA = 0.2;
const OUTAGE_BUCKET_MS = 5_000;

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Told about every outcome and circuit change (routing/shared-health.ts mirrors them to other instances). */
export interface HealthObserver {
  success(key: string, ttftMs: number | undefined, tokensPerSecond: number | undefined): void;
  failure(key: string): void;
  rateLimited(key: string, retryAfterSeconds: number | undefined): void;
  circuitChanged(health: EndpointHealth): void;
}

/** Over the last 128 samples; null while there are none. */
export interface Percentiles {
  ewma: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p99: number | null;
}

export interface EndpointStats {
  circuit: CircuitState;
  open_until: number | null;
  ejections: number;
  error_rate: number | null;
  ttft_ms: Percentiles;
  tokens_per_second: Percentiles;
  uptime_5m: number | null;
  uptime_30m: number | null;
  uptime_1d: number | null;
  requests_1d: number;
}

class SampleRing {
  private readonly values = new Float64Array(SAMPLES);
  private count = 0;
  private next = 0;
  ewma: number | null = null;
  private sorted: Float64Array | null = null;

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % SAMPLES;
    if (this.count < SAMPLES) this.count++;
    this.ewma = this.ewma === null ? value : this.ewma + EWMA_ALPHA * (value - this.ewma);
    this.sorted = null;
  }

  percentile(fraction: number): number | null {
    if (this.count === 0) return null;
    this.sorted ??= this.values.slice(0, this.count).sort();
    return this.sorted[Math.min(this.count - 1, Math.floor(fraction * this.count))]!;
  }

  summary(): Percentiles {
    return {
      ewma: this.ewma,
      p50: this.percentile(0.5),
      p75: this.percentile(0.75),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
    };
  }
}

export class EndpointHealth {
  circuit: CircuitState = 'closed';
  openUntil = 0;
  ejections = 0;
  cooldownUntil = 0;
  /** When the circuit last closed (0: never opened). */
  private closedAt = 0;
  private consecutive = 0;
  private lastFailureAt = -Infinity;
  private probeInFlight = false;
  private readonly recent: Uint8Array;
  private recentCount = 0;
  private recentNext = 0;
  private recentFailures = 0;
  readonly ttft = new SampleRing();
  readonly throughput = new SampleRing();
  private readonly minuteOk = new Uint32Array(MINUTES);
  private readonly minuteFail = new Uint32Array(MINUTES);
  private readonly minuteStamp = new Float64Array(MINUTES);
  private readonly outageFail = new Uint32Array(6);
  private readonly outageTotal = new Uint32Array(6);
  private readonly outageStamp = new Float64Array(6);
  observer: HealthObserver | undefined;

  constructor(
    readonly key: string,
    private readonly options: HealthOptions = DEFAULT_HEALTH,
  ) {
    this.recent = new Uint8Array(options.windowSize);
  }

  /**
   * Whether a request may be sent now: never during a 429 cool-down or while the circuit is open;
   * once the ejection is over the endpoint is admitted again (its probe comes from live traffic,
   * and while a probe is out it is only a late choice: see `recentlyOut`).
   */
  admits(now: number): boolean {
    if (now < this.cooldownUntil) return false;
    if (this.circuit === 'closed') return true;
    return now >= this.openUntil;
  }

  /** Marks the start of a request; the first one after the circuit's open time takes the half-open probe slot. */
  begin(now: number): void {
    if (this.circuit !== 'closed' && now >= this.openUntil) {
      this.circuit = 'half-open';
      this.probeInFlight = true;
    }
  }

  /**
   * True when this endpoint is a poor first choice: failures in the last 30 s, a cool-down, or a
   * half-open probe already out. An endpoint whose ejection is over and whose probe is not yet sent
   * rejoins the others, so live traffic probes it (Envoy's outlier detection returns an ejected host
   * to the pool the same way); otherwise a restarted upstream would only be tried when all else fails.
   */
  recentlyOut(now: number): boolean {
    if (now < this.cooldownUntil) return true;
    if (this.circuit !== 'closed') return now < this.openUntil || this.probeInFlight;
    if (now - this.lastFailureAt >= this.options.outageWindowMs) return false; // the common case: no recent failure
    let failures = 0;
    let total = 0;
    for (let index = 0; index < this.outageStamp.length; index++) {
      if (now - this.outageStamp[index]! < this.options.outageWindowMs) {
        failures += this.outageFail[index]!;
        total += this.outageTotal[index]!;
      }
    }
    return failures >= 2 && failures * 5 >= total; // at least 2 failures and 20 % of recent requests
  }

  success(now: number, ttftMs?: number, tokensPerSecond?: number): void {
    this.observer?.success(this.key, ttftMs, tokensPerSecond);
    this.consecutive = 0;
    this.push(false, now);
    if (ttftMs !== undefined) this.ttft.add(ttftMs);
    if (tokensPerSecond !== undefined && Number.isFinite(tokensPerSecond)) this.throughput.add(tokensPerSecond);
    if (this.circuit !== 'closed') {
      this.circuit = 'closed';
      this.closedAt = now;
      this.probeInFlight = false;
      this.observer?.circuitChanged(this);
    }
  }

  failure(now: number): void {
    this.observer?.failure(this.key);
    this.consecutive++;
    this.push(true, now);
    if (this.circuit === 'half-open') {
      this.open(now);
      return;
    }
    if (this.circuit === 'open') return;
    const rateTripped =
      this.recentCount >= this.options.minRequestsForRate && this.recentFailures >= this.options.failureRate * this.recentCount;
    if (this.consecutive >= this.options.consecutiveFailures || rateTripped) this.open(now);
  }

  /** A 429: no new requests until Retry-After has passed (capped at 60 s; 1 s when none was given). */
  rateLimited(now: number, retryAfterSeconds: number | undefined): void {
    this.observer?.rateLimited(this.key, retryAfterSeconds);
    const wait = Math.min(60, Math.max(1, retryAfterSeconds ?? 1)) * 1000;
    this.cooldownUntil = Math.max(this.cooldownUntil, now + wait);
    this.probeInFlight = false; // a probe answered 429 is over: the next one may go once the cool-down has passed
    this.push(true, now);
  }

  /** A request that ended without a verdict (client left): releases a probe slot. */
  abandon(): void {
    this.probeInFlight = false;
  }

  /** Applies a circuit opened elsewhere (another instance, via Redis). */
  applyRemoteOpen(openUntil: number, ejections: number): void {
    if (openUntil <= this.openUntil) return;
    this.circuit = 'open';
    this.openUntil = openUntil;
    this.ejections = Math.max(this.ejections, ejections);
    this.probeInFlight = false;
  }

  applyRemoteClose(): void {
    if (this.circuit === 'closed') return;
    this.circuit = 'closed';
    this.openUntil = 0;
    this.probeInFlight = false;
    this.consecutive = 0;
  }

  /** Share of failures among the recent outcomes (0 without traffic). */
  errorRate(): number {
    return this.recentCount === 0 ? 0 : this.recentFailures / this.recentCount;
  }

  stats(now: number): EndpointStats {
    return {
      circuit: this.circuit === 'open' && now >= this.openUntil ? 'half-open' : this.circuit,
      open_until: this.circuit === 'closed' ? null : this.openUntil,
      ejections: this.ejections,
      error_rate: this.recentCount === 0 ? null : this.recentFailures / this.recentCount,
      ttft_ms: this.ttft.summary(),
      tokens_per_second: this.throughput.summary(),
      uptime_5m: this.uptime(now, 5),
      uptime_30m: this.uptime(now, 30),
      uptime_1d: this.uptime(now, MINUTES),
      requests_1d: this.requests(now, MINUTES),
    };
  }

  private open(now: number): void {
    // Envoy lowers the ejection multiplier after a healthy spell: here, a spell of ten base times resets it.
    if (this.closedAt > 0 && now - this.closedAt > 10 * this.options.ejectionBaseMs) this.ejections = 0;
    this.ejections++;
    this.circuit = 'open';
    this.probeInFlight = false;
    this.openUntil = now + Math.min(this.options.ejectionMaxMs, this.options.ejectionBaseMs * this.ejections);
    this.observer?.circuitChanged(this);
  }

  private push(failed: boolean, now: number): void {
    if (failed) this.lastFailureAt = now;
    if (this.recentCount === this.recent.length) this.recentFailures -= this.recent[this.recentNext]!;
    else this.recentCount++;
    this.recent[this.recentNext] = failed ? 1 : 0;
    this.recentFailures += failed ? 1 : 0;
    this.recentNext = (this.recentNext + 1) % this.recent.length;

    const minute = Math.floor(now / 60_000);
    const slot = minute % MINUTES;
    if (this.minuteStamp[slot] !== minute) {
      this.minuteStamp[slot] = minute;
      this.minuteOk[slot] = 0;
      this.minuteFail[slot] = 0;
    }
    if (failed) this.minuteFail[slot]!++;
    else this.minuteOk[slot]!++;

    const bucket = Math.floor(now / OUTAGE_BUCKET_MS);
    const outageSlot = bucket % this.outageStamp.length;
    if (this.outageStamp[outageSlot] !== bucket * OUTAGE_BUCKET_MS) {
      this.outageStamp[outageSlot] = bucket * OUTAGE_BUCKET_MS;
      this.outageFail[outageSlot] = 0;
      this.outageTotal[outageSlot] = 0;
    }
    this.outageTotal[outageSlot]!++;
    if (failed) this.outageFail[outageSlot]!++;
  }

  private requests(now: number, minutes: number): number {
    let total = 0;
    const current = Math.floor(now / 60_000);
    for (let back = 0; back < minutes; back++) {
      const slot = (current - back) % MINUTES;
      if (this.minuteStamp[slot] === current - back) total += this.minuteOk[slot]! + this.minuteFail[slot]!;
    }
    return total;
  }

  /** Percentage of successful requests over the last `minutes`, or null without traffic. */
  private uptime(now: number, minutes: number): number | null {
    let ok = 0;
    let total = 0;
    const current = Math.floor(now / 60_000);
    for (let back = 0; back < minutes; back++) {
      const slot = (current - back) % MINUTES;
      if (this.minuteStamp[slot] !== current - back) continue;
      ok += this.minuteOk[slot]!;
      total += this.minuteOk[slot]! + this.minuteFail[slot]!;
    }
    return total === 0 ? null : Math.round((10_000 * ok) / total) / 100;
  }
}

export class HealthRegistry {
  private readonly byKey = new Map<string, EndpointHealth>();
  private observerValue: HealthObserver | undefined;

  constructor(readonly options: HealthOptions = DEFAULT_HEALTH) {}

  get(key: string): EndpointHealth {
    let health = this.byKey.get(key);
    if (!health) {
      health = new EndpointHealth(key, this.options);
      health.observer = this.observerValue;
      this.byKey.set(key, health);
    }
    return health;
  }

  /** Sets the observer of every endpoint, present and future. */
  set observer(observer: HealthObserver | undefined) {
    this.observerValue = observer;
    for (const health of this.byKey.values()) health.observer = observer;
  }

  entries(): IterableIterator<[string, EndpointHealth]> {
    return this.byKey.entries();
  }
}
