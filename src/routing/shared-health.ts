/**
 * Endpoint health shared between gateway instances through Redis (`--redis`), so two gateways
 * agree on which endpoint is down. Each instance batches its outcomes (successes, failures, 429
 * cool-downs, latency samples) and publishes them every 100 ms; every instance applies the
 * others' batches to its own HealthRegistry, so the same outlier rules open the same circuits
 * everywhere. Opened circuits are also stored as keys with a TTL, for instances that start later.
 * Nothing on the request path waits on Redis: publishing is fire-and-forget, and when Redis is
 * down each instance keeps deciding on its own view.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { EndpointHealth, HealthObserver, HealthRegistry } from './health.js';

interface Outcomes {
  ok: number;
  fail: number;
  /** Retry-After seconds of the latest 429, when one happened. */
  retryAfter?: number;
  ttft?: number;
  tps?: number;
}

interface Batch {
  from: string;
  outcomes: Record<string, Outcomes>;
  circuits: Record<string, { openUntil: number; ejections: number } | null>;
}

const FLUSH_MS = 100;

export class SharedHealth implements HealthObserver {
  readonly instance = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private pending: Batch;
  private timer: NodeJS.Timeout | undefined;
  private applying = false;

  constructor(
    url: string,
    private readonly registry: HealthRegistry,
    private readonly logger: Logger,
    private readonly prefix = 'agora:',
  ) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 100,
      retryStrategy: (times: number) => Math.min(200 * times, 2_000),
    };
    this.publisher = new Redis(url, options);
    // The subscriber queues its SUBSCRIBE until connected and re-subscribes after every reconnect.
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined });
    for (const client of [this.publisher, this.subscriber]) client.on('error', () => undefined); // reconnects on its own
    this.pending = this.emptyBatch();
  }

  private get channel(): string {
    return `${this.prefix}health`;
  }

  /** Connects and subscribes; when Redis is down the instance runs on its own view and keeps reconnecting. */
  async start(): Promise<void> {
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    this.registry.observer = this;
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
    try {
      await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
      await this.subscriber.subscribe(this.channel);
      await this.loadOpenCircuits();
    } catch (error) {
      this.subscriber.subscribe(this.channel).catch(() => undefined); // queued until Redis is back
      this.logger.warn('Redis is unreachable; sharing endpoint health resumes when it is back', { error: String(error) });
    }
  }

  /** Circuits opened before this instance started. */
  private async loadOpenCircuits(): Promise<void> {
    const keys = await this.publisher.keys(`${this.prefix}circuit:*`);
    for (const key of keys) {
      const value = await this.publisher.get(key);
      if (!value) continue;
      const state = JSON.parse(value) as { openUntil: number; ejections: number };
      this.withRemote(() =>
        this.registry.get(key.slice(`${this.prefix}circuit:`.length)).applyRemoteOpen(state.openUntil, state.ejections),
      );
    }
  }

  // ---- HealthObserver: local outcomes, batched for the other instances --------------------
  success(key: string, ttft: number | undefined, tps: number | undefined): void {
    if (this.applying) return;
    const entry = this.outcomes(key);
    entry.ok++;
    if (ttft !== undefined) entry.ttft = ttft;
    if (tps !== undefined) entry.tps = tps;
  }

  failure(key: string): void {
    if (!this.applying) this.outcomes(key).fail++;
  }

  rateLimited(key: string, retryAfter: number | undefined): void {
    if (!this.applying) this.outcomes(key).retryAfter = retryAfter ?? 1;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.registry.observer = undefined;
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private emptyBatch(): Batch {
    return { from: this.instance, outcomes: {}, circuits: {} };
  }

  private outcomes(key: string): Outcomes {
    let entry = this.pending.outcomes[key];
    if (!entry) {
      entry = { ok: 0, fail: 0 };
      this.pending.outcomes[key] = entry;
    }
    return entry;
  }

  circuitChanged(health: EndpointHealth): void {
    if (this.applying) return; // a change we are applying from another instance
    const open = health.circuit !== 'closed';
    this.pending.circuits[health.key] = open ? { openUntil: health.openUntil, ejections: health.ejections } : null;
    const key = `${this.prefix}circuit:${health.key}`;
    const write = open
      ? this.publisher.set(
          key,
          JSON.stringify({ openUntil: health.openUntil, ejections: health.ejections }),
          'PX',
          Math.max(1, health.openUntil - Date.now()),
        )
      : this.publisher.del(key);
    write.catch(() => undefined);
  }

  private flush(): void {
    const batch = this.pending;
    if (Object.keys(batch.outcomes).length === 0 && Object.keys(batch.circuits).length === 0) return;
    this.pending = this.emptyBatch();
    this.publisher.publish(this.channel, JSON.stringify(batch)).catch((error: unknown) => {
      this.logger.debug('publishing endpoint health to Redis failed', { error: String(error) });
    });
  }

  private withRemote(apply: () => void): void {
    this.applying = true;
    try {
      apply();
    } finally {
      this.applying = false;
    }
  }

  private receive(message: string): void {
    let batch: Batch;
    try {
      batch = JSON.parse(message) as Batch;
    } catch {
      return;
    }
    if (batch.from === this.instance) return;
    const now = Date.now();
    this.withRemote(() => {
      for (const [key, outcomes] of Object.entries(batch.outcomes)) {
        const health = this.registry.get(key);
        for (let index = 0; index < outcomes.fail; index++) health.failure(now);
        for (let index = 0; index < outcomes.ok; index++)
          health.success(now, index === 0 ? outcomes.ttft : undefined, index === 0 ? outcomes.tps : undefined);
        if (outcomes.retryAfter !== undefined) health.rateLimited(now, outcomes.retryAfter);
      }
      for (const [key, circuit] of Object.entries(batch.circuits)) {
        const health = this.registry.get(key);
        if (circuit) health.applyRemoteOpen(circuit.openUntil, circuit.ejections);
        else health.applyRemoteClose();
      }
    });
  }
}
