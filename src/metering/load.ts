/** Loads credit state from the ledger at start, and for accounts first seen later (keys created by another process). */
import type { KeyRecord } from '../catalog/key-directory.js';
import type { Store } from '../store/index.js';
import { dayStart, monthStart, weekStart, type CreditBook } from './ledger.js';

export async function loadCredits(store: Store, credits: CreditBook, now = Date.now()): Promise<void> {
  const [accounts, balances, spend, weekly] = await Promise.all([
    store.keys.accounts(),
    store.ledger.balances(),
    store.ledger.keySpend(dayStart(now), monthStart(now)),
    // The same query with the week's start in the day's place: its `day` column is then the spend since Monday.
    store.ledger.keySpend(weekStart(now), monthStart(now)),
  ]);
  for (const account of accounts) credits.loadAccount(account.id, account.mode, balances.get(account.id) ?? 0);
  for (const row of spend) credits.loadKeySpend(row.key_id, row.total, row.day, row.month, now);
  for (const row of weekly) credits.loadKeyWeekSpend(row.key_id, row.day, now);
}

export async function loadAccountCredits(store: Store, credits: CreditBook, key: KeyRecord): Promise<void> {
  if (!key.accountId || credits.account(key.accountId)) return;
  const account = await store.keys.findAccount(key.accountId);
  if (!account) return;
  credits.loadAccount(account.id, account.mode, await store.ledger.balance(account.id));
}
