/**
 * Guards the in-memory credit book (metering/ledger.ts): what a key may reserve against its
 * account's balance and its own limits (402 naming the limit), that holds count against concurrent
 * requests and come back exactly once, that a charge (`charge:<generation>`) only reaches the
 * balance once its ledger row is committed, that day, week (Monday) and month spend reset at UTC boundaries,
 * and that balances stay exact integers. The ledger writer is a fake whose commits the test
 * resolves or rejects by hand; every `now` is explicit.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { AgoraError } from '../contract/errors.js';
import type { LedgerWrite } from '../store/repos/ledger.js';
import { CreditBook, weekStart, type KeyLimits, type Reservation } from './ledger.js';
import type { BatchWriter } from './sink.js';

/** A BatchWriter stand-in: `commit` records the row and returns a promise the test settles. */
class FakeWriter {
  readonly rows: LedgerWrite[] = [];
  private readonly waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  commit(row: LedgerWrite): Promise<void> {
    this.rows.push(row);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  resolveNext(): void {
    this.waiting.shift()!.resolve();
  }

  rejectNext(error: Error): void {
    this.waiting.shift()!.reject(error);
  }
}

/** 2024-03-15 12:00:00 UTC. */
const NOW = Date.UTC(2024, 2, 15, 12, 0, 0);

function key(overrides: Partial<KeyLimits> = {}): KeyLimits {
  return { id: 'key-1', accountId: 'acct-1', creditLimit: null, limitDaily: null, limitMonthly: null, ...overrides };
}

/** Runs `action`, expecting a 402 AgoraError; returns it. */
function refusal(action: () => unknown): AgoraError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(AgoraError);
    return error as AgoraError;
  }
  throw new Error('expected a 402 refusal');
}

/** The local book reserves synchronously (only the shared Redis book returns a promise). */
function hold(limits: KeyLimits, amount: number, now: number): Reservation {
  const held = book.reserve(limits, amount, now);
  if (held instanceof Promise) throw new Error('the local book reserves synchronously');
  return held;
}

let writer: FakeWriter;
let book: CreditBook;

beforeEach(() => {
  writer = new FakeWriter();
  book = new CreditBook(writer as unknown as BatchWriter<LedgerWrite>);
});

const generation = { id: 'gen-abc', upstreamId: 'up-1', model: 'acme/chat', provider: 'acme' };

describe('reserve', () => {
  it('holds an amount within the balance', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    const held = book.reserve(key(), 6_000, NOW);
    expect(held).toEqual({ keyId: 'key-1', accountId: 'acct-1', amount: 6_000, open: true });
    expect(book.account('acct-1')).toMatchObject({ balance: 10_000, reserved: 6_000, pending: 0 });
    expect(book.spend('key-1', NOW).reserved).toBe(6_000);
  });

  it('allows exactly the balance, and refuses one nanodollar more with a 402 naming `credits`', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    expect(() => book.reserve(key(), 10_001, NOW)).toThrow(AgoraError);
    const error = refusal(() => book.reserve(key(), 10_001, NOW));
    expect(error.status).toBe(402);
    expect(error.code).toBe('insufficient_credits');
    expect(error.type).toBe('insufficient_quota');
    expect(error.retryable).toBe(false);
    // available 10,000 nUSD = 0.00001 USD; needed 10,001 nUSD = 0.000010001 USD.
    expect(error.metadata).toEqual({ limit_source: 'credits', balance: 0.00001, needed: 0.000010001 });
    expect(error.message).toContain('$0.00001 ');
    // Nothing was held by the refused request.
    expect(book.account('acct-1')!.reserved).toBe(0);
    // Exactly the balance fits.
    expect(book.reserve(key(), 10_000, NOW)).toMatchObject({ amount: 10_000, open: true });
  });

  it("names the key's credit limit (key_limit) when that is what is short", () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000_000);
    book.loadKeySpend('key-1', 400_000, 0, 0, NOW);
    const limited = key({ creditLimit: 1_000_000 });
    // Left: 1,000,000 − 400,000 = 600,000 nUSD = 0.0006 USD; asked 600,001 = 0.000600001 USD.
    const error = refusal(() => book.reserve(limited, 600_001, NOW));
    expect(error.status).toBe(402);
    expect(error.metadata).toEqual({ limit_source: 'key_limit', balance: 0.0006, needed: 0.000600001 });
    expect(book.reserve(limited, 600_000, NOW)).toMatchObject({ amount: 600_000 });
  });

  it('names the daily limit (daily_limit)', () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000_000);
    book.loadKeySpend('key-1', 4_000, 4_000, 4_000, NOW);
    const limited = key({ limitDaily: 5_000 });
    // Left today: 5,000 − 4,000 = 1,000 nUSD.
    const error = refusal(() => book.reserve(limited, 1_001, NOW));
    expect(error.metadata).toEqual({ limit_source: 'daily_limit', balance: 0.000001, needed: 0.000001001 });
    expect(book.reserve(limited, 1_000, NOW)).toMatchObject({ amount: 1_000 });
  });

  it('names the monthly limit (monthly_limit)', () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000_000);
    book.loadKeySpend('key-1', 90_000, 0, 90_000, NOW);
    const limited = key({ limitMonthly: 100_000 });
    // Left this month: 100,000 − 90,000 = 10,000 nUSD.
    const error = refusal(() => book.reserve(limited, 10_001, NOW));
    expect(error.metadata).toEqual({ limit_source: 'monthly_limit', balance: 0.00001, needed: 0.000010001 });
  });

  it('reports 0 left (never a negative balance) when a limit is already overspent', () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000_000);
    book.loadKeySpend('key-1', 7_000, 0, 0, NOW);
    const error = refusal(() => book.reserve(key({ creditLimit: 5_000 }), 1, NOW));
    expect(error.metadata).toEqual({ limit_source: 'key_limit', balance: 0, needed: 0.000000001 });
  });

  it('counts open holds against what concurrent requests may reserve', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    book.reserve(key(), 6_000, NOW);
    // 10,000 − 6,000 held = 4,000 left.
    const error = refusal(() => book.reserve(key(), 4_001, NOW));
    expect(error.metadata).toMatchObject({ limit_source: 'credits', balance: 0.000004 });
    book.reserve(key(), 4_000, NOW);
    expect(() => book.reserve(key(), 1, NOW)).toThrow(AgoraError);
  });

  it("counts a key's open holds against its own limits, across the account's other keys", () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000);
    const limited = key({ limitDaily: 5_000 });
    book.reserve(limited, 3_000, NOW);
    expect(refusal(() => book.reserve(limited, 2_001, NOW)).metadata).toMatchObject({ limit_source: 'daily_limit' });
    // Another key of the same account has no daily limit: only the balance (1,000,000 − 3,000) bounds it.
    expect(book.reserve(key({ id: 'key-2' }), 997_000, NOW)).toMatchObject({ amount: 997_000 });
    expect(refusal(() => book.reserve(key({ id: 'key-2' }), 1, NOW)).metadata).toMatchObject({ limit_source: 'credits' });
  });

  it('never refuses an unlimited account', () => {
    book.loadAccount('acct-1', 'unlimited', 0);
    const first = book.reserve(key(), 9_000_000_000_000_000, NOW);
    const second = book.reserve(key(), 9_000_000_000_000_000, NOW);
    // The hold is not taken from any balance.
    expect(first).toMatchObject({ accountId: null, open: true });
    expect(second).toMatchObject({ accountId: null, open: true });
    expect(book.account('acct-1')).toMatchObject({ balance: 0, reserved: 0 });
  });

  it('never refuses an unlimited account whose balance has gone negative', async () => {
    book.loadAccount('acct-1', 'unlimited', 0);
    const held = hold(key(), 5_000, NOW);
    const committed = book.settle(held, key(), 5_000, generation, undefined, NOW)!;
    writer.resolveNext();
    await committed;
    expect(book.account('acct-1')!.balance).toBe(-5_000);
    expect(book.reserve(key(), 1_000_000, NOW)).toMatchObject({ amount: 1_000_000 });
  });
});

describe('release', () => {
  it('returns the hold exactly once', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    const held = hold(key(), 6_000, NOW);
    book.release(held);
    expect(held.open).toBe(false);
    expect(book.account('acct-1')!.reserved).toBe(0);
    expect(book.spend('key-1', NOW).reserved).toBe(0);
    // A second release (a retry path, a finally block) must not hand the amount back twice.
    book.release(held);
    expect(book.account('acct-1')!.reserved).toBe(0);
    expect(book.spend('key-1', NOW).reserved).toBe(0);
    // The whole balance is available again, and not a nanodollar more.
    book.reserve(key(), 10_000, NOW);
    expect(() => book.reserve(key(), 1, NOW)).toThrow(AgoraError);
  });
});

describe('settle', () => {
  it('posts a charge with id charge:<generation> and moves pending to the balance only after the commit', async () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    const held = hold(key(), 6_000, NOW);
    const committed = book.settle(held, key(), 2_500, generation, undefined, NOW);
    expect(committed).toBeInstanceOf(Promise);
    expect(writer.rows).toEqual([
      {
        entry: {
          id: 'charge:gen-abc',
          account_id: 'acct-1',
          key_id: 'key-1',
          kind: 'charge',
          amount: -2_500,
          generation_id: 'gen-abc',
          upstream_id: 'up-1',
          model: 'acme/chat',
          provider: 'acme',
          note: null,
          created_at: NOW,
        },
      },
    ]);
    // Before the commit: the hold is gone, the charge is pending, the balance untouched.
    expect(book.account('acct-1')).toMatchObject({ balance: 10_000, reserved: 0, pending: 2_500 });
    // … and the pending charge is not spendable: 10,000 − 2,500 = 7,500 left.
    expect(refusal(() => book.reserve(key({ id: 'key-2' }), 7_501, NOW)).metadata).toMatchObject({ balance: 0.0000075 });
    writer.resolveNext();
    await committed;
    expect(book.account('acct-1')).toMatchObject({ balance: 7_500, reserved: 0, pending: 0 });
    // The key's spend counts the charge (total, today, this month).
    expect(book.spend('key-1', NOW)).toMatchObject({ total: 2_500, day: 2_500, month: 2_500, reserved: 0 });
  });

  it('leaves the balance as it was when the commit fails', async () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    const held = hold(key(), 6_000, NOW);
    const committed = book.settle(held, key(), 2_500, generation, undefined, NOW)!;
    writer.rejectNext(new Error('store down'));
    await expect(committed).rejects.toThrow('store down');
    expect(book.account('acct-1')!.balance).toBe(10_000);
    expect(book.account('acct-1')!.reserved).toBe(0);
  });

  it('writes nothing and only releases the hold when the cost is 0', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    const held = hold(key(), 6_000, NOW);
    expect(book.settle(held, key(), 0, generation, undefined, NOW)).toBeUndefined();
    expect(writer.rows).toEqual([]);
    expect(book.account('acct-1')).toMatchObject({ balance: 10_000, reserved: 0, pending: 0 });
  });

  it('releases the whole hold even when the real cost exceeds it', async () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    const held = hold(key(), 1_000, NOW);
    const committed = book.settle(held, key(), 3_000, generation, undefined, NOW)!;
    writer.resolveNext();
    await committed;
    // 10,000 − 3,000 = 7,000, no hold left behind.
    expect(book.account('acct-1')).toMatchObject({ balance: 7_000, reserved: 0, pending: 0 });
  });
});

describe('day and month spend', () => {
  it('resets the day at 00:00 UTC and keeps the month', async () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000);
    const limited = key({ limitDaily: 5_000, limitMonthly: 100_000 });
    const lastMs = Date.UTC(2024, 2, 15, 23, 59, 59, 999);
    const held = hold(limited, 5_000, lastMs);
    const committed = book.settle(held, limited, 5_000, generation, undefined, lastMs)!;
    writer.resolveNext();
    await committed;
    // Still 2024-03-15: the day's 5,000 is spent.
    expect(refusal(() => book.reserve(limited, 1, lastMs)).metadata).toMatchObject({ limit_source: 'daily_limit' });
    // 2024-03-16 00:00:00.000 UTC: a new day; the month keeps its 5,000.
    const midnight = Date.UTC(2024, 2, 16);
    expect(book.spend('key-1', midnight)).toMatchObject({ total: 5_000, day: 0, month: 5_000 });
    expect(book.reserve(limited, 5_000, midnight)).toMatchObject({ amount: 5_000 });
  });

  it('resets the month at the first of the month, 00:00 UTC (also after February 29)', () => {
    book.loadAccount('acct-1', 'prepaid', 1_000_000);
    const limited = key({ limitMonthly: 10_000 });
    const leapDayEnd = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    book.loadKeySpend('key-1', 10_000, 10_000, 10_000, leapDayEnd);
    expect(refusal(() => book.reserve(limited, 1, leapDayEnd)).metadata).toMatchObject({ limit_source: 'monthly_limit' });
    const marchFirst = Date.UTC(2024, 2, 1);
    expect(book.spend('key-1', marchFirst)).toMatchObject({ total: 10_000, day: 0, month: 0 });
    expect(book.reserve(limited, 10_000, marchFirst)).toMatchObject({ amount: 10_000 });
  });

  it('does not reset the month on a day change inside it', () => {
    book.loadKeySpend('key-1', 100, 100, 100, Date.UTC(2024, 0, 31, 12));
    // 2024-01-31 12:00 → 2024-01-31 23:00: same day, same month.
    expect(book.spend('key-1', Date.UTC(2024, 0, 31, 23))).toMatchObject({ day: 100, month: 100 });
    // → 2024-02-01 00:00: both reset.
    expect(book.spend('key-1', Date.UTC(2024, 1, 1))).toMatchObject({ total: 100, day: 0, month: 0 });
  });

  it('counts the week from Monday 00:00 UTC (OpenRouter’s usage_weekly), across a month change', async () => {
    // 2024-01-29 is a Monday; 2024-02-04 a Sunday; 2024-02-05 the next Monday.
    expect(weekStart(Date.UTC(2024, 0, 29, 0, 0, 0, 0))).toBe(Date.UTC(2024, 0, 29));
    expect(weekStart(Date.UTC(2024, 1, 4, 23, 59, 59, 999))).toBe(Date.UTC(2024, 0, 29));
    expect(weekStart(Date.UTC(2024, 1, 5))).toBe(Date.UTC(2024, 1, 5));
    book.loadAccount('acct-1', 'prepaid', 1_000_000);
    const sunday = Date.UTC(2024, 1, 4, 12);
    book.loadKeySpend('key-1', 700, 0, 0, sunday);
    book.loadKeyWeekSpend('key-1', 300, sunday);
    const limited = key({});
    const committed = book.settle(hold(limited, 50, sunday), limited, 50, generation, undefined, sunday)!;
    writer.resolveNext();
    await committed;
    expect(book.spend('key-1', sunday)).toMatchObject({ total: 750, day: 50, week: 350 });
    // The month changed on Thursday the 1st; the week did not.
    expect(book.spend('key-1', Date.UTC(2024, 1, 4, 23))).toMatchObject({ week: 350, month: 50 });
    expect(book.spend('key-1', Date.UTC(2024, 1, 5))).toMatchObject({ total: 750, day: 0, week: 0, month: 50 });
  });
});

describe('applyCredit', () => {
  it('adds top-ups and adjustments as exact integers', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    book.applyCredit('acct-1', 1_000_000_000_000_000); // a 1,000,000 USD top-up
    expect(book.account('acct-1')!.balance).toBe(1_000_000_000_010_000);
    book.applyCredit('acct-1', -250);
    expect(book.account('acct-1')!.balance).toBe(1_000_000_000_009_750);
    expect(Number.isSafeInteger(book.account('acct-1')!.balance)).toBe(true);
  });

  it('throws RangeError rather than leave the safe-integer range, and keeps the balance', () => {
    book.loadAccount('acct-1', 'prepaid', Number.MAX_SAFE_INTEGER - 10);
    expect(() => book.applyCredit('acct-1', 11)).toThrow(RangeError);
    expect(book.account('acct-1')!.balance).toBe(Number.MAX_SAFE_INTEGER - 10);
    book.applyCredit('acct-1', 10); // exactly MAX_SAFE_INTEGER is still exact
    expect(book.account('acct-1')!.balance).toBe(Number.MAX_SAFE_INTEGER);

    book.loadAccount('acct-2', 'prepaid', -(Number.MAX_SAFE_INTEGER - 5));
    expect(() => book.applyCredit('acct-2', -6)).toThrow(RangeError);
    expect(book.account('acct-2')!.balance).toBe(-(Number.MAX_SAFE_INTEGER - 5));
  });

  it('throws RangeError for an amount that is not a whole number of nanodollars', () => {
    book.loadAccount('acct-1', 'prepaid', 10_000);
    expect(() => book.applyCredit('acct-1', 0.5)).toThrow(RangeError);
    expect(() => book.applyCredit('acct-1', Number.NaN)).toThrow(RangeError);
    expect(() => book.applyCredit('acct-1', 2 ** 53)).toThrow(RangeError);
    expect(book.account('acct-1')!.balance).toBe(10_000);
  });

  it('ignores an account this process does not hold', () => {
    expect(() => book.applyCredit('nobody', 1_000)).not.toThrow();
    expect(book.account('nobody')).toBeUndefined();
  });
});
