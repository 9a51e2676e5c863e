/**
 * Credits enforced jointly by several gateways (`--redis`): every hold and every settled cost
 * goes through one atomic Lua script per call, over "pools" — the account's balance and the key's
 * total, daily and monthly spend limits — so two instances can never together admit more than
 * the credit. The local CreditBook still keeps this instance's view (for /api/v1/key and the
 * ledger rows); Redis holds the live, shared numbers.
 *
 * - A pool is a hash {avail, res}: what is left, and what open holds reserve. It is created on
 *   first use from the ledger (HSETNX semantics), so instances that start later join the same pool.
 * - Holds expire (a crashed instance's holds are swept by TTL at the next reservation).
 * - Settling decrements `avail` in Redis before the ledger row commits: a crash in between leaves
 *   the pool short (never over), and `agora` restarts rebuild nothing they should not.
 * - Credits fail closed: Redis slower than 100 ms, or down, refuses with 503; nothing is forwarded unreserved.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { formatUsd } from '../lib/money.js';
import { AgoraError } from '../contract/errors.js';
import type { IdempotencyRecordsTable } from '../store/database.js';
import type { LedgerWrite } from '../store/repos/ledger.js';
import { CreditBook, dayStart, monthStart, type ChargedGeneration, type KeyLimits, type Reservation } from './ledger.js';
import type { BatchWriter } from './sink.js';

/** Longest a request holds credit before the hold is swept (longer than any request may live). */
const HOLD_TTL_MS = 30 * 60_000;
const TIMEOUT_MS = 100;

const RESERVE = `
local now = tonumber(ARGV[1]); local amount = tonumber(ARGV[2]); local hold = ARGV[3]; local expiry = tonumber(ARGV[4])
local n = #KEYS
for i = 1, n do
  local pool = KEYS[i]
  local expired = redis.call('ZRANGEBYSCORE', pool .. ':holds', '-inf', now)
  for _, id in ipairs(expired) do
    local held = redis.call('HGET', pool .. ':amounts', id)
    if held then redis.call('HINCRBY', pool, 'res', -tonumber(held)) end
    redis.call('HDEL', pool .. ':amounts', id)
    redis.call('ZREM', pool .. ':holds', id)
  end
  if redis.call('EXISTS', pool) == 0 then redis.call('HSET', pool, 'avail', ARGV[4 + i], 'res', 0) end
  local avail = tonumber(redis.call('HGET', pool, 'avail')) - tonumber(redis.call('HGET', pool, 'res'))
  if amount > avail then return {0, i, tostring(avail)} end
end
for i = 1, n do
  local pool = KEYS[i]
  redis.call('HINCRBY', pool, 'res', amount)
  redis.call('HSET', pool .. ':amounts', hold, amount)
  redis.call('ZADD', pool .. ':holds', expiry, hold)
end
return {1, 0, '0'}
`;

const SETTLE = `
local hold = ARGV[1]; local cost = tonumber(ARGV[2])
for i = 1, #KEYS do
  local pool = KEYS[i]
  local held = redis.call('HGET', pool .. ':amounts', hold)
  if held then
    redis.call('HINCRBY', pool, 'res', -tonumber(held))
    redis.call('HDEL', pool .. ':amounts', hold)
    redis.call('ZREM', pool .. ':holds', hold)
    if cost > 0 then redis.call('HINCRBY', pool, 'avail', -cost) end
  end
end
return 1
`;

interface SharedReservation extends Reservation {
  hold: string;
  pools: string[];
}

type Scripts = Redis & {
  agoraReserve(...args: Array<string | number>): Promise<[number, number, string]>;
  agoraSettle(...args: Array<string | number>): Promise<number>;
};

function unavailable(cause: unknown): AgoraError {
  return new AgoraError('The shared credit store (Redis) is unavailable, so no request can be reserved; try again shortly.', {
    status: 503,
    kind: 'provider_overloaded',
    type: 'server_error',
    code: 'credits_unavailable',
    retryable: false,
    headers: { 'retry-after': '1' },
    cause,
  });
}

export class SharedCreditBook extends CreditBook {
  private readonly redis: Scripts;

  constructor(
    writer: BatchWriter<LedgerWrite>,
    url: string,
    private readonly prefix = 'agora:',
  ) {
    super(writer);
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: TIMEOUT_MS,
      retryStrategy: (times: number) => Math.min(200 * times, 2_000),
    });
    redis.on('error', () => undefined);
    redis.defineCommand('agoraReserve', { lua: RESERVE });
    redis.defineCommand('agoraSettle', { lua: SETTLE });
    this.redis = redis as Scripts;
  }

  async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
  }

  close(): void {
    this.redis.disconnect();
  }

  /** The pools a key's request draws on, each with the value it starts from when Redis has none. */
  private pools(key: KeyLimits, now: number): Array<[string, number]> {
    const spend = this.spend(key.id, now);
    const pools: Array<[string, number]> = [];
    const account = key.accountId ? this.accounts.get(key.accountId) : undefined;
    if (account?.mode === 'prepaid') pools.push([`${this.prefix}credit:account:${account.id}`, account.balance - account.pending]);
    if (key.creditLimit !== null) pools.push([`${this.prefix}credit:key:${key.id}:total`, key.creditLimit - spend.total]);
    if (key.limitDaily !== null) pools.push([`${this.prefix}credit:key:${key.id}:day:${dayStart(now)}`, key.limitDaily - spend.day]);
    if (key.limitMonthly !== null)
      pools.push([`${this.prefix}credit:key:${key.id}:month:${monthStart(now)}`, key.limitMonthly - spend.month]);
    return pools;
  }

  override reserve(key: KeyLimits, amount: number, now = Date.now()): Reservation | Promise<Reservation> {
    const pools = this.pools(key, now);
    if (pools.length === 0) return super.reserve(key, amount, now); // nothing shared to enforce: unlimited account, no limits
    const hold = randomUUID();
    const keys = pools.map(([pool]) => pool);
    const call =
      this.redis.status === 'ready'
        ? this.redis.agoraReserve(keys.length, ...keys, now, amount, hold, now + HOLD_TTL_MS, ...pools.map(([, initial]) => initial))
        : Promise.reject(new Error(`redis ${this.redis.status}`));
    return call.then(
      ([ok, index, available]) => {
        if (ok !== 1) {
          const sources = ['credits', 'key_limit', 'daily_limit', 'monthly_limit'];
          const pool = keys[index - 1] ?? '';
          const source = pool.includes(':account:')
            ? 'credits'
            : (sources.find((name) => pool.includes(name === 'key_limit' ? ':total' : name === 'daily_limit' ? ':day:' : ':month:')) ??
              'credits');
          const left = Math.max(0, Number(available));
          throw new AgoraError(`This request may cost up to $${formatUsd(amount)}; $${formatUsd(left)} is left (${source}).`, {
            status: 402,
            kind: 'payment_required',
            type: 'insufficient_quota',
            code: 'insufficient_credits',
            retryable: false,
            metadata: { limit_source: source, balance: Number(formatUsd(left)), needed: Number(formatUsd(amount)) },
          });
        }
        const reservation: SharedReservation = { ...super.reserveUnchecked(key, amount, now), hold, pools: keys };
        return reservation;
      },
      (error: unknown) => {
        if (error instanceof AgoraError) throw error;
        throw unavailable(error);
      },
    );
  }

  override release(reservation: Reservation): void {
    if (!reservation.open) return;
    super.release(reservation);
    const shared = reservation as SharedReservation;
    if (shared.pools) void this.redis.agoraSettle(shared.pools.length, ...shared.pools, shared.hold, 0).catch(() => undefined); // else swept by TTL
  }

  override settle(
    reservation: Reservation,
    key: KeyLimits,
    cost: number,
    generation: ChargedGeneration,
    idempotency?: IdempotencyRecordsTable,
    now = Date.now(),
  ): Promise<void> | undefined {
    const shared = reservation as SharedReservation;
    if (reservation.open && shared.pools) {
      // Redis first: if this process dies before the ledger row commits, the pool is short, never over.
      void this.redis.agoraSettle(shared.pools.length, ...shared.pools, shared.hold, cost).catch(() => undefined);
      shared.pools = undefined as unknown as string[]; // release() must not settle it again
    }
    return super.settle(reservation, key, cost, generation, idempotency, now);
  }

  /** Applies a top-up to the shared account pool too. */
  override applyCredit(accountId: string, amount: number): void {
    super.applyCredit(accountId, amount);
    void this.redis.hincrby(`${this.prefix}credit:account:${accountId}`, 'avail', amount).catch(() => undefined);
  }
}
