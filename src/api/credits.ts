/**
 * GET /api/v1/credits — the calling key's account: `{data: {total_credits, total_usage}}` in USD
 * (OpenRouter's shape), plus the live balance. POST /api/v1/credits/topup (admin) — credits an
 * account (by `account_id` or `key_id`); an `idempotency_key` makes a retried top-up count once.
 */
import { randomBase62 } from '../lib/ids.js';
import { formatUsd, MAX_BALANCE_NANOS, nanosToUsd } from '../lib/money.js';
import { usdAmount } from './money-input.js';
import { authenticate, requireAdmin } from '../http/auth.js';
import { readJsonBody } from '../http/read-body.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { invalidRequest, notFound } from '../contract/errors.js';

export async function credits(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  if (!key.accountId) {
    sendJson(exchange.response, 200, { data: { total_credits: 0, total_usage: 0, balance: null, mode: 'unlimited' } });
    return;
  }
  const totals = await gateway.admin.accountTotals(key.accountId);
  const account = gateway.credits.account(key.accountId);
  sendJson(exchange.response, 200, {
    data: {
      total_credits: nanosToUsd(totals.credits),
      total_usage: nanosToUsd(totals.usage),
      balance: account ? nanosToUsd(account.balance - account.pending) : nanosToUsd(totals.credits - totals.usage),
      reserved: account ? nanosToUsd(account.reserved) : 0,
      account_id: key.accountId,
      mode: account?.mode ?? 'unlimited',
    },
  });
}

export async function topUp(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const body = await readJsonBody(exchange.request, 64 * 1024);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidRequest('Expected a JSON object.', null, 'invalid_body');
  const input = body as Record<string, unknown>;
  const amount = usdAmount(input.amount, 'amount', { allowNegative: true });
  let accountId = typeof input.account_id === 'string' ? input.account_id : undefined;
  if (!accountId && typeof input.key_id === 'string') {
    const key = await gateway.admin.findKey(input.key_id);
    if (!key) throw notFound(`No key with id '${input.key_id}'.`, 'key_not_found');
    accountId = key.account_id ?? undefined;
  }
  if (!accountId) throw invalidRequest("Missing 'account_id' or 'key_id'.", 'account_id', 'missing_required_parameter');
  const account = await gateway.admin.findAccount(accountId);
  if (!account) throw notFound(`No account with id '${accountId}'.`, 'account_not_found');
  const idempotencyKey = typeof input.idempotency_key === 'string' ? input.idempotency_key : exchange.request.headers['idempotency-key'];
  if (typeof idempotencyKey === 'string' && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
    throw invalidRequest("Invalid 'idempotency_key': expected 1 to 255 characters.", 'idempotency_key');
  }
  const totals = await gateway.admin.accountTotals(accountId);
  const after = totals.credits - totals.usage + amount;
  if (Math.abs(after) > MAX_BALANCE_NANOS) {
    throw invalidRequest(
      `Invalid 'amount': the balance would become $${formatUsd(after)}, beyond the ±$${formatUsd(MAX_BALANCE_NANOS)} an account may hold.`,
      'amount',
    );
  }
  const posted = await gateway.admin.postLedgerEntry({
    id: `topup:${typeof idempotencyKey === 'string' ? idempotencyKey : randomBase62(24)}`,
    account_id: accountId,
    key_id: null,
    kind: amount > 0 ? 'topup' : 'adjustment',
    amount,
    generation_id: null,
    upstream_id: null,
    model: null,
    provider: null,
    note: typeof input.note === 'string' ? input.note.slice(0, 500) : null,
    created_at: Date.now(),
  });
  if (!gateway.credits.account(accountId)) gateway.credits.loadAccount(accountId, account.mode, 0);
  if (posted) gateway.credits.applyCredit(accountId, amount);
  const state = gateway.credits.account(accountId)!;
  sendJson(exchange.response, posted ? 201 : 200, {
    data: { account_id: accountId, amount: nanosToUsd(amount), duplicate: !posted, balance: nanosToUsd(state.balance - state.pending) },
  });
}
