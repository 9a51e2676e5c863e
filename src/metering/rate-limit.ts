/**
 * Per-key rate limits — requests per minute and tokens per minute — with GCRA (the generic cell
 * rate algorithm: one timestamp per key and limit, no timers, exact "retry after").
 * In memory for one instance; with `--redis`, one atomic Lua script per check shared by every
 * instance. Redis never holds a request up for more than 100 ms: on a timeout or an error the
 * check fails open to this instance's own limiter, and Redis is left alone for a second.
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the limit is fully available again. */
  resetSeconds: number;
  /** Seconds to wait before this request would be allowed (when refused). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

/** GCRA over `limit` units per minute with a burst of `limit`; `cost` units are consumed when allowed. */
export function gcra(tat: number, now: number, limit: number, cost: number): { tat: number; result: LimitResult } {
  const interval = WINDOW_MS / limit;
  const burst = WINDOW_MS;
  const base = Math.max(tat, now);
  const next = base + cost * interval;
  const allowed = next - now <= burst;
  const effective = allowed ? next : base;
  const remaining = Math.max(0, Math.floor((burst - (effective - now)) / interval));
  return {
    tat: effective,
    result: {
      allowed,
      limit,
      remaining,
      resetSeconds: Math.max(0, Math.ceil((effective - now) / 1000)),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((next - now - burst) / 1000)),
    },
  };
}

export class LocalLimiter {
  private readonly tats = new Map<string, number>();

  check(bucket: string, limit: number, cost: number, now = Date.now(), force = false): LimitResult {
    const previous = this.tats.get(bucket) ?? 0;
    const { tat, result } = gcra(previous, now, limit, cost);
    if (result.allowed) this.tats.set(bucket, tat);
    else if (force) this.tats.set(bucket, Math.max(previous, now) + cost * (WINDOW_MS / limit)); // usage after the fact: go into debt
    if (this.tats.size > 100_000) this.prune(now);
    return result;
  }

  private prune(now: number): void {
    for (const [bucket, tat] of this.tats) if (tat < now) this.tats.delete(bucket);
  }
}

const GCRA_SCRIPT = `
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local interval = 60000 / limit
local base = math.max(tat, now)
local nxt = base + cost * interval
if nxt - now <= 60000 or ARGV[4] == '1' then
  redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(nxt - now) + 1000)
  return {1, tostring(nxt)}
end
return {0, tostring(base)}
`;

export class SharedLimiter {
  private readonly redis: Redis;
  private pausedUntil = 0;
  /** Checks answered by the local fallback because Redis was slow or down. */
  fallbacks = 0;

  constructor(
    url: string,
    private readonly local: LocalLimiter,
    private readonly prefix = 'agora:',
    private readonly timeoutMs = 100,
  ) {
    // ioredis is loaded only when Redis is configured (a start without --redis never reads it).
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    this.redis = new RedisClient(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeoutMs,
      retryStrategy: (times: number) => Math.min(200 * times, 2_000),
    });
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('agoraGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  }

  async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
  }

  async check(bucket: string, limit: number, cost: number, now = Date.now(), force = false): Promise<LimitResult> {
    if (now < this.pausedUntil || this.redis.status !== 'ready') return this.fallback(bucket, limit, cost, now, force);
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        (
          this.redis as unknown as {
            agoraGcra(key: string, now: number, limit: number, cost: number, force: string): Promise<[number, string]>;
          }
        ).agoraGcra(`${this.prefix}rl:${bucket}`, now, limit, cost, force ? '1' : '0'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis timeout')), this.timeoutMs);
        }),
      ]);
      const tat = Number(reply[1]);
      const { result } = gcra(reply[0] === 1 ? tat - cost * (WINDOW_MS / limit) : tat, now, limit, cost);
      return result;
    } catch {
      this.pausedUntil = now + 1_000;
      return this.fallback(bucket, limit, cost, now, force);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.redis.disconnect();
  }

  private fallback(bucket: string, limit: number, cost: number, now: number, force: boolean): LimitResult {
    this.fallbacks++;
    return this.local.check(bucket, limit, cost, now, force);
  }
}

export interface Limiter {
  check(bucket: string, limit: number, cost: number, now?: number, force?: boolean): LimitResult | Promise<LimitResult>;
}
