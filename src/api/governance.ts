/**
 * Governance routes.
 *   Admin: GET /api/v1/policies (the config file's and the stored ones), POST /api/v1/policies
 *   (create), GET|PUT|DELETE /api/v1/policies/{id}, GET /api/v1/audit (the decision log, filtered by
 *   key, rule, outcome and time), PATCH /api/v1/providers/{id} (a provider's governance facts).
 *   Any key: GET /api/v1/policy/check?model=&region=&key= — what a request would get, endpoint by
 *   endpoint, without calling a model (an ordinary key checks itself; an admin key any key).
 * A change made here is in force on this instance when the answer is sent, and on the others within
 * `governance.refresh_ms`.
 */
import type { z } from 'zod';
import { toKeyRecord } from '../catalog/key-directory.js';
import { ADMIN_SOURCE, canonicalJson } from '../catalog/synced.js';
import { dataPolicySchema, policySchema, type PolicyFile } from '../config/schema.js';
import { AgoraError, forbidden, invalidRequest, notFound, preview } from '../contract/errors.js';
import type { Exchange } from '../gateway.js';
import { normalizeCountryCode } from '../governance/client-region.js';
import { UNKNOWN_REGION } from '../governance/gate.js';
import { evaluate } from '../governance/policy.js';
import { authenticate, requireAdmin } from '../http/auth.js';
import { readJsonBody } from '../http/read-body.js';
import { sendJson } from '../http/respond.js';

const BODY_LIMIT = 64 * 1024;

function conflict(message: string, code: string): AgoraError {
  return new AgoraError(message, { status: 409, kind: 'invalid_request', type: 'invalid_request_error', code, retryable: false });
}

/** The first schema issue as `field: message`, in the API's 400 shape. */
function schemaError(error: z.ZodError, what: string): AgoraError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path.push(issue.keys[0]!);
    message = 'unknown field (check its spelling and level)';
  }
  const field = path.join('.');
  return invalidRequest(`Invalid ${what}${field ? ` at '${field}'` : ''}: ${message}.`, field || null);
}

async function authenticateAdmin(exchange: Exchange): Promise<void> {
  const key = await authenticate(exchange.request.headers, exchange.gateway.keys);
  requireAdmin(key);
}

function policyView(policy: PolicyFile, source: 'config' | 'admin'): Record<string, unknown> {
  return { ...policy, source };
}

export async function listPolicies(exchange: Exchange): Promise<void> {
  await authenticateAdmin(exchange);
  const governance = exchange.gateway.lifecycle.governance;
  sendJson(exchange.response, 200, { data: governance.list().map((item) => policyView(item.policy, item.source)) });
}

export async function getPolicy(exchange: Exchange, id: string): Promise<void> {
  await authenticateAdmin(exchange);
  const found = exchange.gateway.lifecycle.governance.list().find((item) => item.policy.id === id);
  if (!found) throw notFound(`No policy with id '${id}'.`, 'policy_not_found');
  sendJson(exchange.response, 200, policyView(found.policy, found.source));
}

async function readPolicy(exchange: Exchange, id?: string): Promise<PolicyFile> {
  const body = await readJsonBody(exchange.request, BODY_LIMIT);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('Expected a JSON object: the policy.');
  const input = { ...(body as Record<string, unknown>) };
  delete input.source; // what GET answers may be sent back as it is
  if (id !== undefined) {
    if (input.id !== undefined && input.id !== id)
      throw invalidRequest(`The body's id ${preview(input.id)} differs from the path's '${id}'.`, 'id');
    input.id = id;
  }
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) throw schemaError(parsed.error, 'policy');
  return parsed.data;
}

async function applied(exchange: Exchange): Promise<void> {
  await exchange.gateway.lifecycle.governance.refresh();
}

export async function createPolicy(exchange: Exchange): Promise<void> {
  await authenticateAdmin(exchange);
  const policy = await readPolicy(exchange);
  const governance = exchange.gateway.lifecycle.governance;
  if (governance.isConfigured(policy.id))
    throw conflict(`Policy '${policy.id}' is defined in the config file; change it there.`, 'policy_in_config');
  if (!(await exchange.gateway.admin.policies.put(policy.id, canonicalJson(policy), true)))
    throw conflict(`A policy with id '${policy.id}' exists; PUT /api/v1/policies/${policy.id} replaces it.`, 'policy_exists');
  await applied(exchange);
  sendJson(exchange.response, 201, policyView(policy, 'admin'));
}

export async function putPolicy(exchange: Exchange, id: string): Promise<void> {
  await authenticateAdmin(exchange);
  const policy = await readPolicy(exchange, id);
  const governance = exchange.gateway.lifecycle.governance;
  if (governance.isConfigured(id)) throw conflict(`Policy '${id}' is defined in the config file; change it there.`, 'policy_in_config');
  await exchange.gateway.admin.policies.put(id, canonicalJson(policy), false);
  await applied(exchange);
  sendJson(exchange.response, 200, policyView(policy, 'admin'));
}

export async function deletePolicy(exchange: Exchange, id: string): Promise<void> {
  await authenticateAdmin(exchange);
  const governance = exchange.gateway.lifecycle.governance;
  if (governance.isConfigured(id)) throw conflict(`Policy '${id}' is defined in the config file; remove it there.`, 'policy_in_config');
  if (!(await exchange.gateway.admin.policies.remove(id))) throw notFound(`No stored policy with id '${id}'.`, 'policy_not_found');
  await applied(exchange);
  sendJson(exchange.response, 200, { id, deleted: true });
}

function timeParam(exchange: Exchange, name: string, fallback: number): number {
  const raw = exchange.query.get(name);
  if (raw === null || raw === '') return fallback;
  const number = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(number))
    throw invalidRequest(`Invalid '${name}': expected epoch milliseconds or an ISO 8601 time, got ${preview(raw)}.`, name);
  return number;
}

export async function auditLog(exchange: Exchange): Promise<void> {
  await authenticateAdmin(exchange);
  const outcome = exchange.query.get('outcome') ?? undefined;
  if (outcome !== undefined && outcome !== 'allowed' && outcome !== 'refused')
    throw invalidRequest(`Invalid 'outcome': expected allowed or refused, got ${preview(outcome)}.`, 'outcome');
  const limitRaw = exchange.query.get('limit');
  const limit = limitRaw === null ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidRequest(`Invalid 'limit': expected a whole number from 1 to 1000, got ${preview(limitRaw)}.`, 'limit');
  const from = timeParam(exchange, 'from', 0);
  const to = timeParam(exchange, 'to', Date.now() + 1);
  // Decisions are written in batches: what was decided before this call is flushed first.
  await exchange.gateway.auditWriter.flush();
  const rows = await exchange.gateway.admin.policies.listAudit({
    keyId: exchange.query.get('key') ?? undefined,
    rule: exchange.query.get('rule') ?? undefined,
    outcome,
    from,
    to,
    limit,
  });
  sendJson(exchange.response, 200, {
    data: rows.map((row) => ({
      ...row,
      applied: row.applied === '' ? [] : row.applied.split(','),
      created_at: new Date(row.created_at).toISOString(),
    })),
  });
}

/** GET /api/v1/policy/check: the decision for every endpoint of a model, and the alternatives. */
export async function policyCheck(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  const caller = await authenticate(exchange.request.headers, gateway.keys);
  const modelId = exchange.query.get('model');
  if (!modelId) throw invalidRequest("Missing 'model': the model to check, e.g. deepseek/deepseek-r1.", 'model');
  const entry = gateway.catalog.get(modelId);
  if (!entry) throw notFound(`Model '${modelId}' is not in the catalog.`, 'model_not_found');
  const keyId = exchange.query.get('key');
  let key = caller;
  if (keyId !== null && keyId !== caller.id) {
    if (!caller.isAdmin) throw forbidden('Checking another key needs an admin key; leave out key= to check your own.');
    const row = await gateway.admin.findKey(keyId);
    if (!row) throw notFound(`No key with id '${keyId}'.`, 'key_not_found');
    key = toKeyRecord(row);
  }
  const governance = gateway.lifecycle.governance;
  const regionRaw = exchange.query.get('region');
  let gate;
  if (regionRaw !== null) {
    const region = regionRaw.toLowerCase() === UNKNOWN_REGION ? UNKNOWN_REGION : normalizeCountryCode(regionRaw);
    if (region === null)
      throw invalidRequest(
        `Invalid 'region': expected an ISO 3166 two-letter country code or unknown, got ${preview(regionRaw)}.`,
        'region',
      );
    gate = governance.gateFor(region, 'query', key.id, key.accountId);
  } else {
    gate = governance.gate(exchange.request.headers, exchange.request.socket.remoteAddress, key);
  }
  const endpoints = entry.endpoints.map((candidate) => {
    const refusal = evaluate(candidate, gate.region, gate.policies);
    const enabled = candidate.adapter !== undefined && candidate.endpoint.status !== 'disabled';
    return {
      endpoint: candidate.key,
      provider: candidate.provider.id,
      allowed: refusal === undefined,
      enabled,
      ...(refusal ? { rule: refusal.rule, policy: refusal.policy, scope: refusal.scope, detail: refusal.detail } : {}),
    };
  });
  const allowed = endpoints.some((item) => item.allowed && item.enabled);
  const refusedAll = !allowed && endpoints.some((item) => !item.allowed);
  sendJson(exchange.response, 200, {
    model: entry.model.id,
    key: key.id,
    region: gate.region,
    region_source: gate.regionSource,
    policies: [...gate.applied],
    allowed,
    reason: allowed
      ? null
      : refusedAll
        ? 'every endpoint of this model is refused by policy'
        : 'no endpoint of this model is enabled (its providers have no key set)',
    endpoints,
    alternatives: allowed ? [] : gate.alternatives([entry.model.id]),
  });
}

const PROVIDER_FACTS = new Set(['jurisdiction', 'datacenters', 'refused_regions', 'data_policy']);

function countryList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalidRequest(`Invalid '${field}': expected a list of ISO 3166 country codes.`, field);
  return value.map((item, index) => {
    const code = normalizeCountryCode(item);
    if (code === null)
      throw invalidRequest(`Invalid '${field}[${index}]': expected an ISO 3166 two-letter country code, got ${preview(item)}.`, field);
    return code;
  });
}

/**
 * PATCH /api/v1/providers/{id}: a provider's governance facts — `jurisdiction` (company country),
 * `datacenters`, `refused_regions`, `data_policy` {retention_days, trains_on_prompts, zdr}. Stored as
 * the catalog's admin layer (above synced sources, under the config file, whose own values win) and
 * in force when the answer is sent.
 */
export async function patchProvider(exchange: Exchange, id: string): Promise<void> {
  await authenticateAdmin(exchange);
  const { gateway } = exchange;
  const provider = gateway.catalog.config.providers.get(id);
  if (!provider) throw notFound(`No provider '${id}' in the catalog.`, 'provider_not_found');
  const body = await readJsonBody(exchange.request, BODY_LIMIT);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalidRequest('Expected a JSON object of provider facts: jurisdiction, datacenters, refused_regions, data_policy.');
  const input = body as Record<string, unknown>;
  for (const field of Object.keys(input)) {
    if (!PROVIDER_FACTS.has(field))
      throw invalidRequest(
        `Unknown field '${field.slice(0, 64)}': a provider's facts here are jurisdiction, datacenters, refused_regions and data_policy.`,
        field.slice(0, 64),
      );
  }
  const facts: Record<string, unknown> = {};
  if (input.jurisdiction !== undefined) {
    const code = normalizeCountryCode(input.jurisdiction);
    if (code === null)
      throw invalidRequest(
        `Invalid 'jurisdiction': expected an ISO 3166 two-letter country code, got ${preview(input.jurisdiction)}.`,
        'jurisdiction',
      );
    facts.jurisdiction = code;
  }
  if (input.datacenters !== undefined) facts.datacenters = countryList(input.datacenters, 'datacenters');
  if (input.refused_regions !== undefined) facts.refused_regions = countryList(input.refused_regions, 'refused_regions');
  if (input.data_policy !== undefined) {
    const parsed = dataPolicySchema.safeParse(input.data_policy);
    if (!parsed.success) throw schemaError(parsed.error, 'data_policy');
    facts.data_policy = parsed.data;
  }
  const stored = await gateway.admin.catalogEntries(ADMIN_SOURCE);
  const previous = stored.find((row) => row.kind === 'provider' && row.id === id);
  const merged = { ...(previous ? (JSON.parse(previous.body) as Record<string, unknown>) : {}), ...facts };
  if (facts.data_policy !== undefined && previous) {
    const before = (JSON.parse(previous.body) as Record<string, unknown>).data_policy;
    if (before && typeof before === 'object') merged.data_policy = { ...before, ...(facts.data_policy as object) };
  }
  await gateway.admin.putCatalogEntry({ source: ADMIN_SOURCE, kind: 'provider', id, body: canonicalJson(merged), updated_at: Date.now() });
  await gateway.refreshCatalog();
  const now = gateway.catalog.config.providers.get(id) ?? provider;
  sendJson(exchange.response, 200, {
    id,
    jurisdiction: now.jurisdiction ?? null,
    datacenters: now.datacenters ?? [],
    refused_regions: now.refusedRegions ?? [],
    data_policy: {
      retention_days: now.dataPolicy.retentionDays ?? null,
      trains_on_prompts: now.dataPolicy.trainsOnPrompts ?? null,
      zdr: now.dataPolicy.zdr ?? null,
    },
    stored: merged,
  });
}
