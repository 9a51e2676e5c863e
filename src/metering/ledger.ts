/**
 * Credits in memory: each account's committed balance, what in-flight requests have reserved,
 * and settled charges not yet committed; each key's spend (total, today, this week, this month). The request
 * path reserves the most a request can cost before forwarding (402 when it does not fit), settles
 * the real cost after (a ledger charge, group-committed before the response closes) and releases
 * the rest. Nothing here waits on the database except `settle`'s commit, by design.
 *
 * Crash safety: reservations live in memory only, so a crash strands none; a charge exists iff its
 * ledger row committed, and a client only receives a complete answer after that commit. After a
 * restart, balances are recomputed from the ledger.
 */
import { formatUsd } from '../lib/money.js';
import { AgoraError } from '../contract/errors.js';
import type { IdempotencyRecordsTable } from '../store/database.js';
import type { LedgerWrite } from '../store/repos/ledger.js';
import type { BatchWriter } from './sink.js';

export interface AccountState {
  id: string;
  mode: 'prepaid' | 'unlimited';
  /** Sum of committed ledger entries, nanodollars. */
  balance: number;
  reserved: number;
  /** Settled charges whose ledger rows are not committed yet. */
  pending: number;
}

export interface KeySpendState {
  total: number;
  day: number;
  dayStart: number;
  /** Since Monday 00:00 UTC (OpenRouter's `usage_weekly`). */
  week: number;
  weekStart: number;
  month: number;
  monthStart: number;
  reserved: number;
}

/** What the book needs to know about the calling key. */
export interface KeyLimits {
  id: string;
  accountId: string | null;
  creditLimit: number | null;
  limitDaily: number | null;
  limitMonthly: number | null;
}

export interface Reservation {
  keyId: string;
  /** The prepaid account whose balance holds this amount (null when none does). */
  accountId: string | null;
  amount: number;
  open: boolean;
}

/** What a charge records about the generation it pays for. */
export interface ChargedGeneration {
  id: string;
  upstreamId: string | null;
  model: string | null;
  provider: string | null;
}

export function dayStart(now: number): number {
  return now - (now % 86_400_000);
}

/** Monday 00:00 UTC of the week holding `now` (OpenRouter's weeks run Monday to Sunday). */
export function weekStart(now: number): number {
  return dayStart(now) - ((new Date(now).getUTCDay() + 6) % 7) * 86_400_000;
}

export function monthStart(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function paymentRequired(message: string, source: string, available: number, needed: number): AgoraError {
  return new AgoraError(message, {
    status: 402,
    kind: 'payment_required',
    type: 'insufficient_quota',
    code: 'insufficient_credits',
    retryable: false,
    metadata: { limit_source: source, balance: Number(formatUsd(available)), needed: Number(formatUsd(needed)) },
  });
}

export class CreditBook {
  readonly accounts = new Map<string, AccountState>();
  readonly keys = new Map<string, KeySpendState>();

  constructor(private readonly writer: BatchWriter<LedgerWrite>) {}

  account(id: string): AccountState | undefined {
    return this.accounts.get(id);
  }

  spend(keyId: string, now = Date.now()): KeySpendState {
    let state = this.keys.get(keyId);
    if (!state) {
      state = {
        total: 0,
        day: 0,
        dayStart: dayStart(now),
        week: 0,
        weekStart: weekStart(now),
        month: 0,
        monthStart: monthStart(now),
        reserved: 0,
      };
      this.keys.set(keyId, state);
    }
    const today = dayStart(now);
    // Weeks and months begin at the start of a day: on the same day neither can have turned (no Date per request).
    if (state.dayStart === today) return state;
    state.day = 0;
    state.dayStart = today;
    if (state.weekStart !== weekStart(now)) {
      state.week = 0;
      state.weekStart = weekStart(now);
    }
    if (state.monthStart !== monthStart(now)) {
      state.month = 0;
      state.monthStart = monthStart(now);
    }
    return state;
  }

  /** Records a hold that was checked elsewhere (the shared book checks in Redis). */
  protected reserveUnchecked(key: KeyLimits, amount: number, now: number): Reservation {
    const spend = this.spend(key.id, now);
    spend.reserved += amount;
    const account = key.accountId ? this.accounts.get(key.accountId) : undefined;
    const held = account?.mode === 'prepaid' ? account : undefined;
    if (held) held.reserved += amount;
    return { keyId: key.id, accountId: held ? held.id : null, amount, open: true };
  }

  /** Holds `amount` for a request, or throws 402 naming the limit that refused it. */
  reserve(key: KeyLimits, amount: number, now = Date.now()): Reservation | Promise<Reservation> {
    const spend = this.spend(key.id, now);
    const limits: Array<[number | null, number, string, string]> = [
      [key.creditLimit, spend.total, 'key_limit', "the key's credit limit"],
      [key.limitDaily, spend.day, 'daily_limit', "the key's daily spend limit"],
      [key.limitMonthly, spend.month, 'monthly_limit', "the key's monthly spend limit"],
    ];
    for (const [limit, used, source, label] of limits) {
      if (limit === null) continue;
      const available = limit - used - spend.reserved;
      if (amount > available) {
        throw paymentRequired(
          `This request may cost up to $${formatUsd(amount)}, more than what is left of ${label} ($${formatUsd(Math.max(0, available))}).`,
          source,
          Math.max(0, available),
          amount,
        );
      }
    }
    const account = key.accountId ? this.accounts.get(key.accountId) : undefined;
    if (account?.mode === 'prepaid') {
      const available = account.balance - account.reserved - account.pending;
      if (amount > available) {
        throw paymentRequired(
          `Insufficient credits: the balance is $${formatUsd(Math.max(0, available))} and this request may cost up to $${formatUsd(amount)}. Add credits to continue.`,
          'credits',
          Math.max(0, available),
          amount,
        );
      }
    }
    return this.reserveUnchecked(key, amount, now);
  }

  /** Returns the hold without a charge (the request failed or cost nothing). */
  release(reservation: Reservation): void {
    if (!reservation.open) return;
    reservation.open = false;
    const spend = this.keys.get(reservation.keyId);
    if (spend) spend.reserved -= reservation.amount;
    const account = reservation.accountId ? this.accounts.get(reservation.accountId) : undefined;
    if (account) account.reserved -= reservation.amount;
  }

  /**
   * Replaces the hold with the real cost: posts a charge; the promise resolves when it is committed
   * (undefined when nothing had to be written).
   * The charge's idempotency key is the generation id, so it can never be posted twice.
   */
  settle(
    reservation: Reservation,
    key: KeyLimits,
    cost: number,
    generation: ChargedGeneration,
    idempotency?: IdempotencyRecordsTable,
    now = Date.now(),
  ): Promise<void> | undefined {
    const generationId = generation.id;
    this.release(reservation);
    if (cost <= 0 || !key.accountId) {
      if (cost > 0) this.addSpend(key.id, cost, now);
      return idempotency ? this.writer.commit({ idempotency }) : undefined;
    }
    this.addSpend(key.id, cost, now);
    const account = this.accounts.get(key.accountId);
    if (account) account.pending += cost;
    return this.writer
      .commit({
        entry: {
          id: `charge:${generationId}`,
          account_id: key.accountId,
          key_id: key.id,
          kind: 'charge',
          amount: -cost,
          generation_id: generationId,
          upstream_id: generation.upstreamId,
          model: generation.model,
          provider: generation.provider,
          note: null,
          created_at: now,
        },
        ...(idempotency ? { idempotency } : {}),
      })
      .then(() => {
        if (account) {
          account.pending -= cost;
          account.balance -= cost;
        }
      });
  }

  private addSpend(keyId: string, cost: number, now: number): void {
    const spend = this.spend(keyId, now);
    spend.total += cost;
    spend.day += cost;
    spend.week += cost;
    spend.month += cost;
  }

  /** Applies a committed top-up or adjustment to the in-memory balance (an exact integer, always). */
  applyCredit(accountId: string, amount: number): void {
    const account = this.accounts.get(accountId);
    if (!account) return;
    const balance = account.balance + amount;
    if (!Number.isSafeInteger(amount) || !Number.isSafeInteger(balance))
      throw new RangeError(`balance of account ${accountId} would leave the exact integer range`);
    account.balance = balance;
  }

  /** Loads (or replaces) an account's state from the ledger, keeping in-flight holds. */
  loadAccount(id: string, mode: 'prepaid' | 'unlimited', balance: number): void {
    const existing = this.accounts.get(id);
    if (existing) {
      existing.mode = mode;
      existing.balance = balance;
    } else {
      this.accounts.set(id, { id, mode, balance, reserved: 0, pending: 0 });
    }
  }

  loadKeySpend(keyId: string, total: number, day: number, month: number, now = Date.now()): void {
    const state = this.spend(keyId, now);
    state.total = total;
    state.day = day;
    state.month = month;
  }

  /** Loads a key's spend since Monday 00:00 UTC (read apart from the rest: only GET /api/v1/key reports it). */
  loadKeyWeekSpend(keyId: string, week: number, now = Date.now()): void {
    this.spend(keyId, now).week = week;
  }
}
