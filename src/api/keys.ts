/**
 * Key routes. GET /api/v1/key — the calling key (OpenRouter's shape). Admin only:
 * GET /api/v1/keys (list), POST /api/v1/keys (create; the key is returned once),
 * DELETE /api/v1/keys?id=ID (disable).
 */
import { hashApiKey } from '../lib/api-key.js';
import { authenticate, requireAdmin } from '../http/middleware/auth.js';
import { readJsonBody } from '../http/middleware/body-limit.js';
import type { Exchange } from '../http/context.js';
import { sendJson } from '../http/respond.js';
import { invalidRequest, notFound } from '../spec/errors.js';
import type { ApiKeyRow } from '../store/repos/keys.js';

const NANOS_PER_USD = 1e9;

function keyView(row: ApiKeyRow): Record<string, unknown> {
  return {
    id: row.id,
    name: row.name,
    hint: row.key_hint,
    admin: row.is_admin === 1,
    disabled: row.disabled_at !== null,
    limit: row.credit_limit === null ? null : row.credit_limit / NANOS_PER_USD,
    rate_limit: { requests_per_minute: row.rpm, tokens_per_minute: row.tpm },
    created_at: new Date(row.created_at).toISOString(),
  };
}

export async function currentKey(exchange: Exchange): Promise<void> {
  const key = await authenticate(exchange.request.headers, exchange.gateway.keys);
  const limit = key.creditLimit === null ? null : key.creditLimit / NANOS_PER_USD;
  sendJson(exchange.response, 200, {
    data: {
      label: key.name,
      hint: key.hint,
      usage: 0,
      limit,
      limit_remaining: limit,
      is_admin: key.isAdmin,
      rate_limit: { requests_per_minute: key.rpm, tokens_per_minute: key.tpm },
    },
  });
}

export async function listKeysRoute(exchange: Exchange): Promise<void> {
  requireAdmin(await authenticate(exchange.request.headers, exchange.gateway.keys));
  const rows = await exchange.gateway.admin.listKeys();
  sendJson(exchange.response, 200, { data: rows.map(keyView) });
}

function optionalPositive(body: Record<string, unknown>, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidRequest(`Invalid '${field}': expected a number of 0 or more.`, field);
  }
  return value;
}

export async function createKeyRoute(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const body = await readJsonBody(exchange.request, 64 * 1024);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('Expected a JSON object.', null);
  const input = body as Record<string, unknown>;
  const name = input.name ?? 'unnamed';
  if (typeof name !== 'string' || name.length > 200) throw invalidRequest("Invalid 'name': expected a string of at most 200 characters.", 'name');
  const limit = optionalPositive(input, 'limit');
  const rpm = optionalPositive(input, 'rpm');
  const tpm = optionalPositive(input, 'tpm');
  const { row, key } = await gateway.admin.createKey({
    name,
    isAdmin: input.admin === true,
    creditLimit: limit === null ? null : Math.round(limit * NANOS_PER_USD),
    rpm: rpm === null ? null : Math.floor(rpm),
    tpm: tpm === null ? null : Math.floor(tpm),
  });
  gateway.keys.upsert(hashApiKey(key), {
    id: row.id, name: row.name, hint: row.key_hint, isAdmin: row.is_admin === 1, disabled: false,
    creditLimit: row.credit_limit, rpm: row.rpm, tpm: row.tpm,
  });
  sendJson(exchange.response, 201, { data: keyView(row), key });
}

export async function disableKeyRoute(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  requireAdmin(await authenticate(exchange.request.headers, gateway.keys));
  const id = exchange.query.get('id');
  if (!id) throw invalidRequest("Missing required query parameter: 'id'.", 'id', 'missing_required_parameter');
  if (!(await gateway.admin.disableKey(id))) throw notFound(`No key with id '${id}'.`, 'key_not_found');
  gateway.keys.markDisabled(id);
  sendJson(exchange.response, 200, { data: { id, disabled: true } });
}
