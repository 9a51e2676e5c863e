/**
 * Key routes, in OpenRouter's shapes (its `/key` and `/keys` fields first, Agora's own after).
 * GET /api/v1/key — the calling key. Admin only: GET /api/v1/keys (list), POST /api/v1/keys
 * (create; the key is returned once), PATCH /api/v1/keys/{id} (limits, name, disabled),
 * DELETE /api/v1/keys/{id} (disable).
 *
 * How Agora's keys read as OpenRouter's: a key's `hash` (what PATCH and DELETE take) is its id;
 * its `workspace_id` is its account (the credit pool its keys spend); an admin key is a management
 * key. Agora keeps a total, a daily and a monthly spend limit apart: OpenRouter's one `limit` with
 * its `limit_reset` is the first of them that is set (total: reset null), and `limit_remaining`
 * what every limit, and a prepaid account's balance, still allows. What Agora has no notion of
 * answers its documented empty value: BYOK usage 0 (upstream keys are the operator's), no expiry,
 * no creator or organization, no free-model quota (Agora serves no `:free` variants).
 */
import type { KeyRecord } from '../catalog/key-directory.js';
import { toKeyRecord } from '../catalog/key-directory.js';
import { hashApiKey } from '../lib/api-key.js';
import { nanosToUsd } from '../lib/money.js';
import type { KeySpendState } from '../metering/ledger.js';
import { usdAmount } from './money-input.js';
import { authenticate, requireAdmin } from '../http/auth.js';
import { readJsonBody } from '../http/read-body.js';
import type { Exchange, Gateway } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { invalidRequest, notFound } from '../contract/errors.js';
import type { ApiKeyRow, KeyChanges } from '../store/repos/api-keys.js';

const usd = (nanos: number | null): number | null => (nanos === null ? null : nanosToUsd(nanos));

type Limits = Pick<KeyRecord, 'creditLimit' | 'limitDaily' | 'limitMonthly'>;

/** OpenRouter's single limit: the total one, else the daily, else the monthly (nanodollars). */
function openRouterLimit(limits: Limits): { limit: number | null; reset: 'daily' | 'monthly' | null } {
  if (limits.creditLimit !== null) return { limit: limits.creditLimit, reset: null };
  if (limits.limitDaily !== null) return { limit: limits.limitDaily, reset: 'daily' };
  if (limits.limitMonthly !== null) return { limit: limits.limitMonthly, reset: 'monthly' };
  return { limit: null, reset: null };
}

/** What the key may still spend under all of its limits (nanodollars), or null when it has none. */
function keyRemaining(limits: Limits, spend: KeySpendState): number | null {
  const left = [
    limits.creditLimit === null ? null : limits.creditLimit - spend.total,
    limits.limitDaily === null ? null : limits.limitDaily - spend.day,
    limits.limitMonthly === null ? null : limits.limitMonthly - spend.month,
  ].filter((value): value is number => value !== null);
  return left.length === 0 ? null : Math.max(0, Math.min(...left));
}

/** The usage and BYOK fields both key shapes share. */
function usageFields(spend: KeySpendState): Record<string, number> {
  return {
    usage: nanosToUsd(spend.total),
    usage_daily: nanosToUsd(spend.day),
    usage_weekly: nanosToUsd(spend.week),
    usage_monthly: nanosToUsd(spend.month),
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
  };
}

/** OpenRouter's legacy `rate_limit` (-1: none), here the key's real request limit per minute. */
function rateLimit(rpm: number | null, tpm: number | null): Record<string, unknown> {
  return {
    requests: rpm ?? -1,
    interval: '1m',
    note: rpm === null ? 'This key has no request rate limit.' : 'Requests per minute this key may make.',
    tokens_per_minute: tpm,
  };
}

function keyView(gateway: Gateway, row: ApiKeyRow): Record<string, unknown> {
  const spend = gateway.credits.spend(row.id);
  const account = row.account_id ? gateway.credits.account(row.account_id) : undefined;
  const limits = { creditLimit: row.credit_limit, limitDaily: row.limit_daily, limitMonthly: row.limit_monthly };
  const { limit, reset } = openRouterLimit(limits);
  return {
    hash: row.id,
    name: row.name,
    label: row.key_hint,
    disabled: row.disabled_at !== null,
    limit: usd(limit),
    limit_remaining: usd(keyRemaining(limits, spend)),
    limit_reset: reset,
    include_byok_in_limit: false,
    ...usageFields(spend),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    expires_at: null,
    creator_user_id: null,
    external_user: null,
    workspace_id: row.account_id,
    // Agora's own.
    id: row.id,
    account_id: row.account_id,
    account_mode: account?.mode ?? null,
    admin: row.is_admin === 1,
    limit_daily: usd(row.limit_daily),
    limit_monthly: usd(row.limit_monthly),
    rate_limit: { requests_per_minute: row.rpm, tokens_per_minute: row.tpm },
    region: row.region ?? null,
  };
}

/** A key's client region: an ISO country (any case), or null to clear it. */
function regionInput(input: Record<string, unknown>): string | null | undefined {
  const value = input.region;
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value))
    throw invalidRequest("Invalid 'region': expected an ISO 3166 two-letter country code such as DE, or null.", 'region');
  return value.toUpperCase();
}

export async function currentKey(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  const spend = gateway.credits.spend(key.id);
  const account = key.accountId ? gateway.credits.account(key.accountId) : undefined;
  const balance = account ? account.balance - account.pending : null;
  const ownRemaining = keyRemaining(key, spend);
  const accountRemaining = account?.mode === 'prepaid' && balance !== null ? Math.max(0, balance) : null;
  const remaining =
    ownRemaining === null ? accountRemaining : accountRemaining === null ? ownRemaining : Math.min(ownRemaining, accountRemaining);
  const { limit, reset } = openRouterLimit(key);
  sendJson(exchange.response, 200, {
    data: {
      label: key.hint,
      limit: usd(limit),
      limit_remaining: usd(remaining),
      limit_reset: reset,
      ...usageFields(spend),
      include_byok_in_limit: false,
      is_free_tier: false,
      is_management_key: key.isAdmin,
      is_provisioning_key: key.isAdmin,
      expires_at: null,
      rate_limit: rateLimit(key.rpm, key.tpm),
      creator_user_id: null,
      organization_id: null,
      workspace_id: key.accountId,
      // No regional routing: the key is held to no data region.
      allowed_data_regions: ['global'],
      free_model_daily_requests: { limit: 0, remaining: 0, used: 0 },
      // Agora's own.
      name: key.name,
      is_admin: key.isAdmin,
      limit_daily: usd(key.limitDaily),
      limit_monthly: usd(key.limitMonthly),
    },
  });
}

export async function listKeysRoute(exchange: Exchange): Promise<void> {
  requireAdmin(await authenticate(exchange.request.headers, exchange.gateway.keys));
  const { query } = exchange;
  const includeDisabled = query.get('include_disabled') !== 'false';
  const workspace = query.get('workspace_id');
  const offsetText = query.get('offset');
  const offset = offsetText === null || offsetText === '' ? 0 : Number(offsetText);
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidRequest("Invalid 'offset': expected a whole number, 0 or more.", 'offset');
  const rows = (await exchange.gateway.admin.listKeys()).filter(
    (row) => (includeDisabled || row.disabled_at === null) && (workspace === null || row.account_id === workspace),
  );
  sendJson(exchange.response, 200, { data: rows.slice(offset).map((row) => keyView(exchange.gateway, row)) });
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

/** The limit fields OpenRouter's `limit` + `limit_reset` name (null: the total limit). */
const LIMIT_FIELD = { daily: 'limit_daily', monthly: 'limit_monthly' } as const;

/**
 * Reads OpenRouter's `limit` with `limit_reset` into Agora's separate limits: `limit_reset: daily`
 * sets the daily limit, `monthly` the monthly one, null (or none) the total one. Agora has no
 * weekly limit, so `weekly` is refused rather than applied as something else.
 */
function limitInput(input: Record<string, unknown>): { total?: number | null; daily?: number | null; monthly?: number | null } {
  const reset = input.limit_reset;
  const limit = amount(input, 'limit');
  if (reset === undefined || reset === null) return limit === undefined ? {} : { total: limit };
  if (reset !== 'daily' && reset !== 'monthly') {
    throw invalidRequest(
      `Invalid 'limit_reset': expected daily, monthly or null (Agora keeps no weekly limit).`,
      'limit_reset',
      'unsupported_value',
    );
  }
  if (limit === undefined) {
    throw invalidRequest("'limit_reset' needs 'limit' in the same request: it says which of the key's limits 'limit' sets.", 'limit');
  }
  if (input[LIMIT_FIELD[reset]] !== undefined) {
    throw invalidRequest(`Give either 'limit' with 'limit_reset: ${reset}' or '${LIMIT_FIELD[reset]}', not both.`, LIMIT_FIELD[reset]);
  }
  return reset === 'daily' ? { daily: limit } : { monthly: limit };
}

/** OpenRouter's key fields Agora has no place for: refused when set, never dropped in silence. */
function refuseUnsupported(input: Record<string, unknown>): void {
  for (const [field, why] of [
    ['expires_at', 'Agora keys do not expire; disable a key with DELETE /api/v1/keys/{id}'],
    ['creator_user_id', 'Agora keeps no users'],
    ['external', 'Agora keeps no external user ids'],
  ] as const) {
    if (input[field] !== undefined && input[field] !== null)
      throw invalidRequest(`'${field}' is not supported: ${why}.`, field, 'unsupported_parameter');
  }
  const byok = input.include_byok_in_limit;
  // Agora has no BYOK usage, so the flag changes nothing; it is checked, not stored.
  if (byok !== undefined && typeof byok !== 'boolean')
    throw invalidRequest("Invalid 'include_byok_in_limit': expected a boolean.", 'include_byok_in_limit');
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
  refuseUnsupported(input);
  // OpenRouter's workspace is Agora's account (the pool a key spends): either name may pick it.
  for (const field of ['account_id', 'workspace_id'] as const) {
    if (input[field] !== undefined && typeof input[field] !== 'string')
      throw invalidRequest(`Invalid '${field}': expected a string.`, field);
  }
  if (input.account_id !== undefined && input.workspace_id !== undefined && input.account_id !== input.workspace_id) {
    throw invalidRequest("'account_id' and 'workspace_id' name the same thing; give one, or the same id in both.", 'workspace_id');
  }
  const accountId = (input.account_id ?? input.workspace_id) as string | undefined;
  if (accountId !== undefined && !(await gateway.admin.findAccount(accountId))) {
    throw notFound(`No account with id '${accountId}'.`, 'account_not_found');
  }
  const credit = amount(input, 'credit');
  const limits = limitInput(input);
  const region = regionInput(input);
  const { row, key } = await gateway.admin.createKey({
    ...(region ? { region } : {}),
    name,
    isAdmin: input.admin === true,
    creditLimit: limits.total ?? null,
    limitDaily: limits.daily ?? amount(input, 'limit_daily') ?? null,
    limitMonthly: limits.monthly ?? amount(input, 'limit_monthly') ?? null,
    rpm: count(input, 'rpm') ?? null,
    tpm: count(input, 'tpm') ?? null,
    ...(accountId !== undefined ? { accountId } : {}),
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

/** GET /api/v1/keys/{hash} — one key (admin only; OpenRouter's `apiKeys.get`). */
export async function getKeyRoute(exchange: Exchange, id: string): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const row = await gateway.admin.findKey(id);
  if (!row) throw notFound(`No key with id '${id.slice(0, 200)}'.`, 'key_not_found');
  sendJson(exchange.response, 200, { data: keyView(gateway, row) });
}

export async function updateKeyRoute(exchange: Exchange, id: string): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const input = await objectBody(exchange);
  const allowed = new Set([
    'name',
    'limit',
    'limit_reset',
    'limit_daily',
    'limit_monthly',
    'rpm',
    'tpm',
    'disabled',
    'include_byok_in_limit',
    'region',
  ]);
  for (const field of Object.keys(input)) {
    if (!allowed.has(field))
      throw invalidRequest(`Field '${field}' cannot be changed; expected one of ${[...allowed].join(', ')}.`, field, 'unknown_parameter');
  }
  const changes: KeyChanges = {};
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.length > 200) throw invalidRequest("Invalid 'name'.", 'name');
    changes.name = input.name;
  }
  refuseUnsupported(input);
  const limits = limitInput(input);
  if (limits.total !== undefined) changes.credit_limit = limits.total;
  const daily = limits.daily !== undefined ? limits.daily : amount(input, 'limit_daily');
  if (daily !== undefined) changes.limit_daily = daily;
  const monthly = limits.monthly !== undefined ? limits.monthly : amount(input, 'limit_monthly');
  if (monthly !== undefined) changes.limit_monthly = monthly;
  const rpm = count(input, 'rpm');
  if (rpm !== undefined) changes.rpm = rpm;
  const tpm = count(input, 'tpm');
  if (tpm !== undefined) changes.tpm = tpm;
  if (input.disabled !== undefined) {
    if (typeof input.disabled !== 'boolean') throw invalidRequest("Invalid 'disabled': expected a boolean.", 'disabled');
    changes.disabled_at = input.disabled ? Date.now() : null;
  }
  const region = regionInput(input);
  if (region !== undefined) changes.region = region;
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
  // OpenRouter's answer; the key is disabled (it stops working and stays listed), as Agora keeps its records.
  sendJson(exchange.response, 200, { deleted: true, data: { id, disabled: true } });
}
