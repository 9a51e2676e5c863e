/**
 * Key routes. GET /api/v1/key — the calling key (OpenRouter's shape). Admin only:
 * GET /api/v1/keys (list), POST /api/v1/keys (create; the key is returned once),
 * PATCH /api/v1/keys/{id} (limits, name, disabled), DELETE /api/v1/keys/{id} (disable).
 */
import { toKeyRecord } from '../catalog/key-directory.js';
import { hashApiKey } from '../lib/api-key.js';
import { nanosToUsd } from '../lib/money.js';
import { usdAmount } from './money-input.js';
import { authenticate, requireAdmin } from '../http/auth.js';
import { readJsonBody } from '../http/read-body.js';
import type { Exchange, Gateway } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { invalidRequest, notFound } from '../contract/errors.js';
import type { ApiKeyRow, KeyChanges } from '../store/repos/api-keys.js';

const usd = (nanos: number | null): number | null => (nanos === null ? null : nanosToUsd(nanos));

function keyView(gateway: Gateway, row: ApiKeyRow): Record<string, unknown> {
  const spend = gateway.credits.spend(row.id);
  const account = row.account_id ? gateway.credits.account(row.account_id) : undefined;
  return {
    id: row.id,
    name: row.name,
    label: row.key_hint,
    account_id: row.account_id,
    account_mode: account?.mode ?? null,
    admin: row.is_admin === 1,
    disabled: row.disabled_at !== null,
    usage: nanosToUsd(spend.total),
    usage_daily: nanosToUsd(spend.day),
    usage_monthly: nanosToUsd(spend.month),
    limit: usd(row.credit_limit),
    limit_remaining: row.credit_limit === null ? null : nanosToUsd(Math.max(0, row.credit_limit - spend.total)),
    limit_daily: usd(row.limit_daily),
    limit_monthly: usd(row.limit_monthly),
    rate_limit: { requests_per_minute: row.rpm, tokens_per_minute: row.tpm },
    created_at: new Date(row.created_at).toISOString(),
  };
}

export async function currentKey(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  const spend = gateway.credits.spend(key.id);
  const account = key.accountId ? gateway.credits.account(key.accountId) : undefined;
  const balance = account ? account.balance - account.pending : null;
  const keyRemaining = key.creditLimit === null ? null : Math.max(0, key.creditLimit - spend.total);
  const accountRemaining = account?.mode === 'prepaid' && balance !== null ? Math.max(0, balance) : null;
  const remaining =
    keyRemaining === null ? accountRemaining : accountRemaining === null ? keyRemaining : Math.min(keyRemaining, accountRemaining);
  sendJson(exchange.response, 200, {
    data: {
      label: key.hint,
      name: key.name,
      usage: nanosToUsd(spend.total),
      usage_daily: nanosToUsd(spend.day),
      usage_monthly: nanosToUsd(spend.month),
      limit: usd(key.creditLimit),
      limit_remaining: remaining === null ? null : nanosToUsd(remaining),
      limit_daily: usd(key.limitDaily),
      limit_monthly: usd(key.limitMonthly),
      is_free_tier: false,
      is_admin: key.isAdmin,
      rate_limit: { requests: key.rpm, interval: '1m', tokens_per_minute: key.tpm },
    },
  });
}

export async function listKeysRoute(exchange: Exchange): Promise<void> {
  requireAdmin(await authenticate(exchange.request.headers, exchange.gateway.keys));
  const rows = await exchange.gateway.admin.listKeys();
  sendJson(exchange.response, 200, { data: rows.map((row) => keyView(exchange.gateway, row)) });
}

function amount(body: Record<string, unknown>, field: string): number | null | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (value === null) return null;
  return usdAmount(value, field, { allowZero: true });
}

/** Largest rpm / tpm a key may be given. */
const MAX_COUNT = 1_000_000_000;

function count(body: Record<string, unknown>, field: string): number | null | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw invalidRequest(`Invalid '${field}': expected a whole number from 0 to ${MAX_COUNT}.`, field);
  }
  return value;
}

async function objectBody(exchange: Exchange): Promise<Record<string, unknown>> {
  const body = await readJsonBody(exchange.request, 64 * 1024);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidRequest('Expected a JSON object.', null, 'invalid_body');
  return body as Record<string, unknown>;
}

export async function createKeyRoute(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const input = await objectBody(exchange);
  const name = input.name ?? 'unnamed';
  if (typeof name !== 'string' || name.length > 200)
    throw invalidRequest("Invalid 'name': expected a string of at most 200 characters.", 'name');
  if (input.account_id !== undefined && typeof input.account_id !== 'string')
    throw invalidRequest("Invalid 'account_id': expected a string.", 'account_id');
  if (input.account_id !== undefined && !(await gateway.admin.findAccount(input.account_id as string))) {
    throw notFound(`No account with id '${String(input.account_id)}'.`, 'account_not_found');
  }
  const credit = amount(input, 'credit');
  const { row, key } = await gateway.admin.createKey({
    name,
    isAdmin: input.admin === true,
    creditLimit: amount(input, 'limit') ?? null,
    limitDaily: amount(input, 'limit_daily') ?? null,
    limitMonthly: amount(input, 'limit_monthly') ?? null,
    rpm: count(input, 'rpm') ?? null,
    tpm: count(input, 'tpm') ?? null,
    ...(typeof input.account_id === 'string' ? { accountId: input.account_id } : {}),
    ...(credit !== undefined && credit !== null ? { initialCredit: credit, mode: 'prepaid' as const } : {}),
  });
  if (row.account_id && !gateway.credits.account(row.account_id)) {
    // Loaded as the store has it: its mode (a credit of 0 still makes a prepaid account) and its whole ledger.
    const [account, totals] = await Promise.all([gateway.admin.findAccount(row.account_id), gateway.admin.accountTotals(row.account_id)]);
    gateway.credits.loadAccount(row.account_id, account?.mode ?? 'unlimited', totals.credits - totals.usage);
  } else if (row.account_id && credit) {
    gateway.credits.applyCredit(row.account_id, credit); // an opening credit on an account this process already holds
  }
  gateway.keys.upsert(hashApiKey(key), toKeyRecord(row));
  sendJson(exchange.response, 201, { data: keyView(gateway, row), key });
}

export async function updateKeyRoute(exchange: Exchange, id: string): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const input = await objectBody(exchange);
  const allowed = new Set(['name', 'limit', 'limit_daily', 'limit_monthly', 'rpm', 'tpm', 'disabled']);
  for (const field of Object.keys(input)) {
    if (!allowed.has(field))
      throw invalidRequest(`Field '${field}' cannot be changed; expected one of ${[...allowed].join(', ')}.`, field, 'unknown_parameter');
  }
  const changes: KeyChanges = {};
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.length > 200) throw invalidRequest("Invalid 'name'.", 'name');
    changes.name = input.name;
  }
  const limit = amount(input, 'limit');
  if (limit !== undefined) changes.credit_limit = limit;
  const daily = amount(input, 'limit_daily');
  if (daily !== undefined) changes.limit_daily = daily;
  const monthly = amount(input, 'limit_monthly');
  if (monthly !== undefined) changes.limit_monthly = monthly;
  const rpm = count(input, 'rpm');
  if (rpm !== undefined) changes.rpm = rpm;
  const tpm = count(input, 'tpm');
  if (tpm !== undefined) changes.tpm = tpm;
  if (input.disabled !== undefined) {
    if (typeof input.disabled !== 'boolean') throw invalidRequest("Invalid 'disabled': expected a boolean.", 'disabled');
    changes.disabled_at = input.disabled ? Date.now() : null;
  }
  const row = await gateway.admin.updateKey(id, changes);
  if (!row) throw notFound(`No key with id '${id}'.`, 'key_not_found');
  gateway.keys.upsert(row.key_hash, toKeyRecord(row));
  sendJson(exchange.response, 200, { data: keyView(gateway, row) });
}

export async function disableKeyRoute(exchange: Exchange, pathId?: string): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const id = pathId ?? exchange.query.get('id');
  if (!id) throw invalidRequest("Missing required query parameter: 'id'.", 'id', 'missing_required_parameter');
  if (!(await gateway.admin.disableKey(id))) throw notFound(`No key with id '${id}'.`, 'key_not_found');
  gateway.keys.markDisabled(id);
  sendJson(exchange.response, 200, { data: { id, disabled: true } });
}
