/**
 * The cross-account authorization matrix (Part 5 · Hardening). Two prepaid accounts, A and B, each
 * with a plain key; the admin key; a disabled key, a disabled admin key, no key, a garbage key and a
 * malformed Authorization header. Every route of the route table (src/http/server.ts ROUTES and
 * PATTERNS) is tried by every caller, as data: route × caller → expected status, looped over and
 * counted. A plain key cannot manage keys or credits (its own or anyone's), cannot see another key's
 * generations or usage, and `/api/v1/key` / `/api/v1/credits` answer only about the caller, whatever
 * the query says. A disabled, missing, garbage or malformed key gets 401 everywhere except the
 * public routes. Errors keep OpenAI's shape (Anthropic's on /v1/messages, as the contract says;
 * OpenRouter's, `code` the HTTP status, on /api/v1/*, as OpenRouter's SDK expects), and
 * no answer to A ever carries B's data (or the other way round).
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { PATTERNS, ROUTES } from '../../src/routes.js';
import { parseHubModelInfo } from '../../src/catalog/import/hf-hub.js';
import { lineageRows } from '../../src/catalog/import/lineage.js';

type Caller = 'admin' | 'A' | 'B' | 'disabled' | 'disabled-admin' | 'missing' | 'garbage' | 'malformed';
const CALLERS: readonly Caller[] = ['admin', 'A', 'B', 'disabled', 'disabled-admin', 'missing', 'garbage', 'malformed'];
/** Callers that must be refused with 401 on every route but the public ones. */
const UNAUTHENTICATED: ReadonlySet<Caller> = new Set(['disabled', 'disabled-admin', 'missing', 'garbage', 'malformed']);
const GARBAGE_KEY = 'sk-agora-garbage-0000000000000000000000000000';

/**
 * Routes that answer anyone, key or not. GET /health is liveness. The catalog routes are public by
 * design, as OpenRouter's are (test/e2e/errors.test.ts asserts `models.list()` works with a wrong
 * key): they list the configured catalog and endpoint health, nothing about any account.
 */
const PUBLIC_ROUTES = new Set([
  'GET /',
  'GET /assets/{file}',
  'GET /health',
  'GET /metrics',
  'GET /v1/models',
  'GET /api/v1/models',
  'GET /api/v1/models/{author}/{slug}/endpoints',
  'GET /api/v1/lineage/families',
  'GET /api/v1/lineage/{author}/{slug}',
  'GET /api/v1/providers',
]);

interface Principal {
  key: string;
  id: string;
  name: string;
  accountId: string;
  label: string;
  credit: number;
  /** The generation this key made in beforeAll, and what the upstream called it. */
  generation: string;
  upstreamId: string;
  appTitle: string;
  referer: string;
  /** A Response this key stored (OpenAI's Responses API) in beforeAll. */
  response: string;
}

interface Context {
  gateway: TestGateway;
  upstream: FakeUpstream;
  A: Principal;
  B: Principal;
  disabled: { key: string; id: string };
  disabledAdmin: { key: string; id: string };
  /** Victim keys for the admin's destructive cells, one per case (so A and B stay intact). */
  victims: Map<string, { key: string; id: string; accountId: string }>;
}

interface Reply {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

interface Req {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

type Expected = number | readonly number[];

interface Case {
  /** The route-table entry, `METHOD /path` with `{param}` for pattern routes. */
  route: string;
  variant: string;
  /** Expected status for the admin key and the two plain keys; the other callers get 401 unless the route is public. */
  expect: { admin: Expected; A: Expected; B: Expected };
  /** The admin's cell changes a key or an account: it works on a victim of its own. */
  destructive?: boolean;
  /** Error shape of the route: OpenAI's (default) or Anthropic's. */
  shape?: 'anthropic';
  /** A model call: a refused caller must not reach the upstream. */
  modelCall?: boolean;
  request(context: Context, caller: Caller, cell: string): Req;
  /** Run `check` on every answer, not only on a 2xx one. */
  always?: boolean;
  /** Extra assertions on a 2xx answer (or on every answer when `always`). */
  check?(context: Context, caller: Caller, reply: Reply, cell: string): void | Promise<void>;
}

// ---- targets -----------------------------------------------------------------------------------

const principal = (context: Context, caller: Caller): Principal => (caller === 'B' ? context.B : context.A);
/** The caller's own key: for A and B themselves; the admin works on its victim; refused callers aim at A. */
function selfKey(context: Context, caller: Caller, cell: string): { id: string; accountId: string } {
  if (caller === 'admin') return victimOf(context, cell);
  return caller === 'B' ? context.B : context.A;
}
/** The other account's key: B for A, A for B; the admin works on its victim; refused callers aim at B. */
function otherKey(context: Context, caller: Caller, cell: string): { id: string; accountId: string } {
  if (caller === 'admin') return victimOf(context, cell);
  return caller === 'B' ? context.A : context.B;
}
function victimOf(context: Context, cell: string): { id: string; accountId: string } {
  const victim = context.victims.get(cell.split(' as ')[0]!);
  if (!victim) throw new Error(`no victim for ${cell}`);
  return victim;
}
const otherPrincipal = (context: Context, caller: Caller): Principal => (caller === 'B' ? context.A : context.B);
const NO_SUCH_KEY = 'key_doesNotExist00000';
const NO_SUCH_GENERATION = 'gen-doesnotexist0000000000000';

const chatBody = { model: 'acme/ok', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] };

function usageRows(reply: Reply): Array<Record<string, unknown>> {
  return (reply.json?.data ?? []) as Array<Record<string, unknown>>;
}

function csvKeyIds(text: string): string[] {
  const [header, ...lines] = text.trim().split('\n');
  const column = header!.split(',').indexOf('key_id');
  expect(column).toBeGreaterThanOrEqual(0);
  return lines.filter((line) => line !== '').map((line) => line.split(',')[column]!);
}

// ---- the matrix --------------------------------------------------------------------------------

const ALL_OK = { admin: 200, A: 200, B: 200 } as const;
const ADMIN_ONLY = { admin: 200, A: 403, B: 403 } as const;

const CASES: Case[] = [
  // -- public
  { route: 'GET /health', variant: 'liveness', expect: ALL_OK, request: () => ({ method: 'GET', path: '/health' }) },
  {
    // Public by default (telemetry.metrics.require_key: false), as Prometheus scrapes: no key, no account in any label.
    route: 'GET /metrics',
    variant: 'Prometheus scrape',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/metrics' }),
    check: (context, _caller, reply) => {
      expect(reply.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      expect(reply.text).toContain('agora_generations_total{api="chat",model="acme/ok",provider="acme",status="success"}');
      for (const principal of [context.A, context.B]) {
        for (const secret of [principal.key, principal.id, principal.accountId, principal.label, principal.appTitle]) {
          expect(reply.text).not.toContain(secret);
        }
      }
    },
  },
  {
    route: 'GET /',
    variant: 'the console',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/' }),
    always: true,
    check: (_context, _caller, reply) => expect(reply.text).toContain('<div id="root">'),
  },
  {
    route: 'GET /assets/{file}',
    variant: "the console's script",
    expect: ALL_OK,
    request: () => ({
      method: 'GET',
      path: `/assets/${readdirSync(new URL('../../dist/console/assets/', import.meta.url)).find((name) => name.endsWith('.js'))}`,
    }),
  },
  { route: 'GET /v1/models', variant: 'catalog', expect: ALL_OK, request: () => ({ method: 'GET', path: '/v1/models' }) },
  { route: 'GET /api/v1/models', variant: 'catalog', expect: ALL_OK, request: () => ({ method: 'GET', path: '/api/v1/models' }) },
  {
    route: 'GET /api/v1/lineage/families',
    variant: 'lineage',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/lineage/families' }),
    check: (_context, _caller, reply) => expect(reply.json.data[0].root.id).toBe('acme-org/Base-Model'),
  },
  {
    route: 'GET /api/v1/lineage/{author}/{slug}',
    variant: 'lineage',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/lineage/acme-org/tuned-model' }),
    check: (_context, _caller, reply) => expect(reply.json.data.bases[0].id).toBe('acme-org/Base-Model'),
  },
  { route: 'GET /api/v1/providers', variant: 'catalog', expect: ALL_OK, request: () => ({ method: 'GET', path: '/api/v1/providers' }) },
  {
    route: 'GET /api/v1/rankings',
    variant: 'own account',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/rankings?by=model&period=month' }),
  },
  {
    route: 'GET /api/v1/rankings',
    variant: 'by account',
    expect: ADMIN_ONLY,
    request: () => ({ method: 'GET', path: '/api/v1/rankings?by=account' }),
  },
  {
    route: 'GET /api/v1/leaderboard',
    variant: 'benchmarks',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/leaderboard' }),
    check: (_context, _caller, reply) => expect(reply.json.index.weights.mmlu).toBe(0.25),
  },
  // -- governance
  {
    route: 'GET /api/v1/policies',
    variant: 'list',
    expect: ADMIN_ONLY,
    request: () => ({ method: 'GET', path: '/api/v1/policies' }),
    check: (_context, _caller, reply) => expect(reply.json.data[0]).toMatchObject({ id: 'authz-config', source: 'config' }),
  },
  {
    route: 'POST /api/v1/policies',
    variant: 'create a harmless policy',
    expect: { admin: 201, A: 403, B: 403 },
    request: (_context, caller) => ({
      method: 'POST',
      path: '/api/v1/policies',
      body: { id: `authz-${caller}-${Math.random().toString(36).slice(2, 8)}`, max_price: { prompt: 1000 } },
    }),
  },
  {
    route: 'GET /api/v1/policies/{id}',
    variant: 'a config policy',
    expect: ADMIN_ONLY,
    request: () => ({ method: 'GET', path: '/api/v1/policies/authz-config' }),
  },
  {
    route: 'PUT /api/v1/policies/{id}',
    variant: 'create or replace',
    expect: ADMIN_ONLY,
    request: (_context, caller) => ({ method: 'PUT', path: `/api/v1/policies/authz-put-${caller}`, body: { max_price: { prompt: 999 } } }),
  },
  {
    route: 'DELETE /api/v1/policies/{id}',
    variant: 'a policy that does not exist',
    expect: { admin: 404, A: 403, B: 403 },
    request: () => ({ method: 'DELETE', path: '/api/v1/policies/authz-none' }),
  },
  {
    route: 'GET /api/v1/policy/check',
    variant: 'own key',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/policy/check?model=acme/ok&region=US' }),
    check: (_context, _caller, reply) => {
      expect(reply.json.allowed).toBe(true);
      expect(reply.json.policies).toContain('authz-config');
    },
  },
  {
    route: 'GET /api/v1/policy/check',
    variant: "another account's key",
    expect: ADMIN_ONLY,
    request: (context, caller) => ({
      method: 'GET',
      path: `/api/v1/policy/check?model=acme/ok&key=${(caller === 'B' ? context.A : context.B).id}`,
    }),
  },
  {
    route: 'GET /api/v1/audit',
    variant: 'decisions',
    expect: ADMIN_ONLY,
    request: () => ({ method: 'GET', path: '/api/v1/audit' }),
  },
  {
    route: 'PATCH /api/v1/providers/{id}',
    variant: 'facts',
    expect: ADMIN_ONLY,
    request: () => ({ method: 'PATCH', path: '/api/v1/providers/acme', body: { datacenters: ['US'] } }),
  },
  {
    route: 'GET /api/v1/models/{author}/{slug}/endpoints',
    variant: 'catalog',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/models/acme/ok/endpoints' }),
  },

  // -- model calls
  ...(['/v1/chat/completions', '/api/v1/chat/completions'] as const).map((path): Case => ({
    route: `POST ${path}`,
    variant: 'chat',
    expect: ALL_OK,
    modelCall: true,
    request: () => ({ method: 'POST', path, body: chatBody }),
    check: (_context, _caller, reply) => {
      expect(reply.json.object).toBe('chat.completion');
      expect(reply.headers.get('x-agora-generation-id')).toBe(reply.json.id);
    },
  })),
  {
    route: 'POST /v1/messages',
    variant: 'message',
    expect: ALL_OK,
    modelCall: true,
    shape: 'anthropic',
    request: () => ({ method: 'POST', path: '/v1/messages', body: chatBody }),
    check: (_context, _caller, reply) => expect(reply.json.type).toBe('message'),
  },
  {
    route: 'POST /v1/messages/count_tokens',
    variant: 'count',
    expect: ALL_OK,
    shape: 'anthropic',
    request: () => ({ method: 'POST', path: '/v1/messages/count_tokens', body: { model: 'acme/ok', messages: chatBody.messages } }),
    check: (_context, _caller, reply) => expect(typeof reply.json.input_tokens).toBe('number'),
  },
  ...(['/v1/embeddings', '/api/v1/embeddings'] as const).map((path): Case => ({
    route: `POST ${path}`,
    variant: 'embed',
    expect: ALL_OK,
    modelCall: true,
    request: () => ({ method: 'POST', path, body: { model: 'acme/embed', input: ['hello'] } }),
    check: (_context, _caller, reply) => expect(reply.json.data).toHaveLength(1),
  })),

  ...(['/v1/responses', '/api/v1/responses'] as const).map((path): Case => ({
    route: `POST ${path}`,
    variant: 'response',
    expect: ALL_OK,
    modelCall: true,
    request: () => ({ method: 'POST', path, body: { model: 'acme/ok', input: 'hi', store: false } }),
    check: (_context, _caller, reply) => {
      expect(reply.json.object).toBe('response');
      expect(reply.headers.get('x-agora-generation-id')).toBe(reply.json.id);
    },
  })),

  // -- stored responses: an owner's only; another owner's id is indistinguishable from a missing one
  ...(['/v1/responses', '/api/v1/responses'] as const).flatMap((base): Case[] => [
    {
      route: `GET ${base}/{id}`,
      variant: "A's stored response",
      expect: { admin: 404, A: 200, B: 404 },
      always: true,
      request: (context) => ({ method: 'GET', path: `${base}/${context.A.response}` }),
      check: (context, caller, reply) => {
        if (caller === 'A') expect(reply.json).toMatchObject({ id: context.A.response, object: 'response' });
        else expect(reply.text).not.toContain('remembers this');
      },
    },
    {
      route: `DELETE ${base}/{id}`,
      variant: "another owner's stored response",
      expect: { admin: 404, A: 404, B: 404 },
      always: true,
      // The admin (the master key, an owner of its own) aims at A's; A at B's; B at A's.
      request: (context, caller) => ({ method: 'DELETE', path: `${base}/${caller === 'A' ? context.B.response : context.A.response}` }),
    },
  ]),

  // -- records
  {
    route: 'GET /api/v1/generation',
    variant: "A's generation",
    expect: { admin: 200, A: 200, B: 404 },
    request: (context) => ({ method: 'GET', path: `/api/v1/generation?id=${context.A.generation}` }),
    check: (context, _caller, reply) => expect(reply.json.data).toMatchObject({ id: context.A.generation, app_title: context.A.appTitle }),
  },
  {
    route: 'GET /api/v1/generation',
    variant: "B's generation",
    expect: { admin: 200, A: 404, B: 200 },
    request: (context) => ({ method: 'GET', path: `/api/v1/generation?id=${context.B.generation}` }),
    check: (context, _caller, reply) => expect(reply.json.data).toMatchObject({ id: context.B.generation, app_title: context.B.appTitle }),
  },
  {
    route: 'GET /api/v1/generation',
    variant: "the other key's generation is indistinguishable from a missing one",
    expect: { admin: 404, A: 404, B: 404 },
    always: true,
    // The admin asks for an id that does not exist; A asks for B's, B for A's.
    request: (context, caller) => ({
      method: 'GET',
      path: `/api/v1/generation?id=${caller === 'admin' ? NO_SUCH_GENERATION : otherPrincipal(context, caller).generation}`,
    }),
    check: async (context, caller, reply) => {
      if (caller !== 'A' && caller !== 'B') return;
      const asked = otherPrincipal(context, caller).generation;
      const missing = await call(context, caller, { method: 'GET', path: `/api/v1/generation?id=${NO_SUCH_GENERATION}` });
      expect(missing.status).toBe(404);
      expect(reply.text.split(asked).join('<id>')).toBe(missing.text.split(NO_SUCH_GENERATION).join('<id>'));
    },
  },
  {
    route: 'GET /api/v1/usage',
    variant: 'own usage',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/usage' }),
    check: (context, caller, reply) => {
      const rows = usageRows(reply);
      const ids = rows.map((row) => row.id);
      if (caller === 'admin') {
        expect(ids).toEqual(expect.arrayContaining([context.A.generation, context.B.generation]));
        return;
      }
      const me = principal(context, caller);
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.key_id))).toEqual(new Set([me.id]));
      expect(ids).toContain(me.generation);
      expect(ids).not.toContain(otherPrincipal(context, caller).generation);
    },
  },
  {
    route: 'GET /api/v1/usage',
    variant: 'key_id=<the other key> (json)',
    expect: { admin: 200, A: [200, 403], B: [200, 403] },
    // A asks for B's rows, B for A's; the admin asks for B's.
    request: (context, caller) => ({
      method: 'GET',
      path: `/api/v1/usage?key_id=${caller === 'admin' ? context.B.id : otherPrincipal(context, caller).id}`,
    }),
    check: (context, caller, reply) => {
      const rows = usageRows(reply);
      if (caller === 'admin') {
        expect(rows.map((row) => row.id)).toContain(context.B.generation);
        expect(new Set(rows.map((row) => row.key_id))).toEqual(new Set([context.B.id]));
        return;
      }
      const me = principal(context, caller);
      for (const row of rows) expect(row.key_id).toBe(me.id);
      expect(rows.map((row) => row.id)).not.toContain(otherPrincipal(context, caller).generation);
    },
  },
  {
    route: 'GET /api/v1/usage',
    variant: 'key_id=<the other key> (csv)',
    expect: { admin: 200, A: [200, 403], B: [200, 403] },
    request: (context, caller) => ({
      method: 'GET',
      path: `/api/v1/usage?format=csv&key_id=${caller === 'admin' ? context.B.id : otherPrincipal(context, caller).id}`,
    }),
    check: (context, caller, reply) => {
      const keyIds = csvKeyIds(reply.text);
      const expected = caller === 'admin' ? context.B.id : principal(context, caller).id;
      expect(keyIds.length).toBeGreaterThan(0);
      expect(new Set(keyIds)).toEqual(new Set([expected]));
    },
  },

  // -- the calling key and its account
  {
    route: 'GET /api/v1/key',
    variant: 'the caller',
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/key' }),
    check: (context, caller, reply) => {
      if (caller === 'admin') return expect(reply.json.data.is_admin).toBe(true);
      const me = principal(context, caller);
      expect(reply.json.data).toMatchObject({ name: me.name, label: me.label, is_admin: false });
    },
  },
  {
    route: 'GET /api/v1/key',
    variant: 'query naming the other key and account',
    expect: ALL_OK,
    request: (context, caller) => {
      const other = caller === 'admin' ? context.B : otherPrincipal(context, caller);
      return { method: 'GET', path: `/api/v1/key?id=${other.id}&key_id=${other.id}&account_id=${other.accountId}&name=${other.name}` };
    },
    check: (context, caller, reply) => {
      if (caller === 'admin') return expect(reply.json.data.is_admin).toBe(true);
      const me = principal(context, caller);
      expect(reply.json.data).toMatchObject({ name: me.name, label: me.label, is_admin: false });
    },
  },
  {
    route: 'GET /api/v1/credits',
    variant: "the caller's account",
    expect: ALL_OK,
    request: () => ({ method: 'GET', path: '/api/v1/credits' }),
    check: (context, caller, reply) => {
      if (caller === 'admin') return;
      const me = principal(context, caller);
      expect(reply.json.data).toMatchObject({ account_id: me.accountId, total_credits: me.credit });
    },
  },
  {
    route: 'GET /api/v1/credits',
    variant: 'query naming the other account and key',
    expect: ALL_OK,
    request: (context, caller) => {
      const other = caller === 'admin' ? context.B : otherPrincipal(context, caller);
      return { method: 'GET', path: `/api/v1/credits?account_id=${other.accountId}&key_id=${other.id}&id=${other.id}` };
    },
    check: (context, caller, reply) => {
      if (caller === 'admin') {
        expect(reply.json.data.account_id ?? null).not.toBe(context.B.accountId);
        return;
      }
      const me = principal(context, caller);
      expect(reply.json.data).toMatchObject({ account_id: me.accountId, total_credits: me.credit });
    },
  },

  // -- key administration
  {
    route: 'GET /api/v1/keys',
    variant: 'list',
    expect: ADMIN_ONLY,
    request: () => ({ method: 'GET', path: '/api/v1/keys' }),
    check: (context, _caller, reply) => {
      const ids = (reply.json.data as Array<{ id: string }>).map((row) => row.id);
      expect(ids).toEqual(expect.arrayContaining([context.A.id, context.B.id]));
      expect(reply.text).not.toContain(context.A.key);
      expect(reply.text).not.toContain(context.B.key);
    },
  },
  {
    route: 'POST /api/v1/keys',
    variant: 'mint an admin key with credit',
    expect: { admin: 201, A: 403, B: 403 },
    request: (_context, caller) => ({
      method: 'POST',
      path: '/api/v1/keys',
      body: { name: `minted-by-${caller}`, admin: true, credit: 1000 },
    }),
    check: (_context, _caller, reply) => {
      expect(reply.json.data).toMatchObject({ name: 'minted-by-admin', admin: true });
      expect(typeof reply.json.key).toBe('string');
    },
  },
  {
    route: 'POST /api/v1/keys',
    variant: "join the other key's account",
    expect: { admin: 201, A: 403, B: 403 },
    request: (context, caller, cell) => ({
      method: 'POST',
      path: '/api/v1/keys',
      body: { name: `joined-by-${caller}`, account_id: otherKey(context, caller, cell).accountId },
    }),
    destructive: true,
    check: (context, _caller, reply, cell) => expect(reply.json.data.account_id).toBe(victimOf(context, cell).accountId),
  },
  ...(
    [
      ['own key', selfKey],
      ["the other account's key", otherKey],
    ] as const
  ).flatMap(([variant, target]): Case[] => [
    {
      route: 'PATCH /api/v1/keys/{id}',
      variant: `${variant}: raise limits, rename`,
      expect: ADMIN_ONLY,
      destructive: true,
      request: (context, caller, cell) => ({
        method: 'PATCH',
        path: `/api/v1/keys/${target(context, caller, cell).id}`,
        body: { name: `renamed-by-${caller}`, limit: 100000, rpm: 100000 },
      }),
      check: (context, _caller, reply, cell) =>
        expect(reply.json.data).toMatchObject({ id: victimOf(context, cell).id, name: 'renamed-by-admin' }),
    },
    {
      route: 'PATCH /api/v1/keys/{id}',
      variant: `${variant}: disable`,
      expect: ADMIN_ONLY,
      destructive: true,
      request: (context, caller, cell) => ({
        method: 'PATCH',
        path: `/api/v1/keys/${target(context, caller, cell).id}`,
        body: { disabled: true },
      }),
      check: (context, _caller, reply, cell) => expect(reply.json.data).toMatchObject({ id: victimOf(context, cell).id, disabled: true }),
    },
    {
      route: 'DELETE /api/v1/keys/{id}',
      variant,
      expect: ADMIN_ONLY,
      destructive: true,
      request: (context, caller, cell) => ({ method: 'DELETE', path: `/api/v1/keys/${target(context, caller, cell).id}` }),
      check: (context, _caller, reply, cell) => expect(reply.json.data).toEqual({ id: victimOf(context, cell).id, disabled: true }),
    },
    {
      route: 'DELETE /api/v1/keys',
      variant: `?id=<${variant}>`,
      expect: ADMIN_ONLY,
      destructive: true,
      request: (context, caller, cell) => ({ method: 'DELETE', path: `/api/v1/keys?id=${target(context, caller, cell).id}` }),
      check: (context, _caller, reply, cell) => expect(reply.json.data).toEqual({ id: victimOf(context, cell).id, disabled: true }),
    },
  ]),
  ...(['self', 'other'] as const).map((which): Case => ({
    route: 'GET /api/v1/keys/{id}',
    variant: `${which === 'self' ? 'its own' : "the other's"} key`,
    expect: ADMIN_ONLY,
    // A plain key asks for its own key, or for the other account's: both are admin-only.
    request: (context, caller) => ({
      method: 'GET',
      path: `/api/v1/keys/${(caller === 'B') === (which === 'self') ? context.B.id : context.A.id}`,
    }),
    check: (_context, _caller, reply) => {
      expect(reply.json.data).toHaveProperty('hash');
      expect(reply.text).not.toMatch(/sk-agora-[A-Za-z0-9]{20,}/); // never the key itself
    },
  })),
  {
    route: 'GET /api/v1/keys/{id}',
    variant: 'a key that does not exist',
    expect: { admin: 404, A: 403, B: 403 },
    request: () => ({ method: 'GET', path: `/api/v1/keys/${NO_SUCH_KEY}` }),
  },
  {
    route: 'PATCH /api/v1/keys/{id}',
    variant: 'a key that does not exist',
    expect: { admin: 404, A: 403, B: 403 },
    request: () => ({ method: 'PATCH', path: `/api/v1/keys/${NO_SUCH_KEY}`, body: { name: 'x' } }),
  },
  {
    route: 'DELETE /api/v1/keys/{id}',
    variant: 'a key that does not exist',
    expect: { admin: 404, A: 403, B: 403 },
    request: () => ({ method: 'DELETE', path: `/api/v1/keys/${NO_SUCH_KEY}` }),
  },
  {
    route: 'DELETE /api/v1/keys',
    variant: '?id=<a key that does not exist>',
    expect: { admin: 404, A: 403, B: 403 },
    request: () => ({ method: 'DELETE', path: `/api/v1/keys?id=${NO_SUCH_KEY}` }),
  },

  // -- credit administration
  {
    route: 'POST /api/v1/credits/topup',
    variant: 'own account by account_id',
    expect: { admin: 201, A: 403, B: 403 },
    destructive: true,
    request: (context, caller, cell) => ({
      method: 'POST',
      path: '/api/v1/credits/topup',
      body: { account_id: selfKey(context, caller, cell).accountId, amount: 1000 },
    }),
    check: (context, _caller, reply, cell) =>
      expect(reply.json.data).toMatchObject({ account_id: victimOf(context, cell).accountId, amount: 1000 }),
  },
  {
    route: 'POST /api/v1/credits/topup',
    variant: 'own account by key_id',
    expect: { admin: 201, A: 403, B: 403 },
    destructive: true,
    request: (context, caller, cell) => ({
      method: 'POST',
      path: '/api/v1/credits/topup',
      body: { key_id: selfKey(context, caller, cell).id, amount: 1000 },
    }),
    check: (context, _caller, reply, cell) =>
      expect(reply.json.data).toMatchObject({ account_id: victimOf(context, cell).accountId, amount: 1000 }),
  },
  {
    route: 'POST /api/v1/credits/topup',
    variant: 'drain the other account (negative adjustment)',
    expect: { admin: 201, A: 403, B: 403 },
    destructive: true,
    request: (context, caller, cell) => ({
      method: 'POST',
      path: '/api/v1/credits/topup',
      body: { account_id: otherKey(context, caller, cell).accountId, amount: -0.5 },
    }),
    check: (context, _caller, reply, cell) =>
      expect(reply.json.data).toMatchObject({ account_id: victimOf(context, cell).accountId, amount: -0.5 }),
  },
  {
    route: 'POST /api/v1/credits/topup',
    variant: 'the other account by key_id',
    expect: { admin: 201, A: 403, B: 403 },
    destructive: true,
    request: (context, caller, cell) => ({
      method: 'POST',
      path: '/api/v1/credits/topup',
      body: { key_id: otherKey(context, caller, cell).id, amount: 1000, idempotency_key: `authz-${caller}` },
    }),
    check: (context, _caller, reply, cell) =>
      expect(reply.json.data).toMatchObject({ account_id: victimOf(context, cell).accountId, amount: 1000 }),
  },
];

interface Cell {
  name: string;
  kase: Case;
  caller: Caller;
  expected: readonly number[];
}

const CELLS: Cell[] = CASES.flatMap((kase) =>
  CALLERS.map((caller): Cell => {
    const isPublic = PUBLIC_ROUTES.has(kase.route);
    const expected = UNAUTHENTICATED.has(caller) ? (isPublic ? 200 : 401) : kase.expect[caller as 'admin' | 'A' | 'B'];
    return {
      name: `${kase.route} [${kase.variant}] as ${caller}`,
      kase,
      caller,
      expected: typeof expected === 'number' ? [expected] : expected,
    };
  }),
);

// ---- HTTP --------------------------------------------------------------------------------------

function authorization(context: Context, caller: Caller): Record<string, string> {
  switch (caller) {
    case 'admin':
      return { authorization: `Bearer ${MASTER_KEY}` };
    case 'A':
      return { authorization: `Bearer ${context.A.key}` };
    case 'B':
      return { authorization: `Bearer ${context.B.key}` };
    case 'disabled':
      return { authorization: `Bearer ${context.disabled.key}` };
    case 'disabled-admin':
      return { authorization: `Bearer ${context.disabledAdmin.key}` };
    case 'missing':
      return {};
    case 'garbage':
      return { authorization: `Bearer ${GARBAGE_KEY}` };
    case 'malformed':
      return { authorization: `Basic ${Buffer.from(`user:${context.A.key}`).toString('base64')}` };
  }
}

/** The secret a caller presents (never to be echoed back). */
function presented(context: Context, caller: Caller): string | undefined {
  return {
    admin: MASTER_KEY,
    A: context.A.key,
    B: context.B.key,
    disabled: context.disabled.key,
    'disabled-admin': context.disabledAdmin.key,
    missing: undefined,
    garbage: GARBAGE_KEY,
    malformed: context.A.key,
  }[caller];
}

async function call(context: Context, caller: Caller, request: Req, extraHeaders: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${context.gateway.url}${request.path}`, {
    method: request.method,
    headers: {
      ...authorization(context, caller),
      ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...extraHeaders,
    },
    body: request.body === undefined ? null : JSON.stringify(request.body),
    redirect: 'manual',
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

function expectErrorShape(reply: Reply, shape: 'openai' | 'anthropic' | 'openrouter', where: string): void {
  expect(reply.json, `${where}: error body is JSON`).toBeTypeOf('object');
  expect(reply.text, `${where}: no stack trace`).not.toMatch(/at .+\.(ts|js):\d+/);
  if (shape === 'anthropic') {
    expect(reply.json, where).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    return;
  }
  if (shape === 'openrouter') {
    expect(reply.json.error, `${where}: {error: {code: <status>, message, metadata}}`).toMatchObject({
      code: reply.status,
      metadata: { error_type: expect.any(String), reason: expect.any(String) },
    });
    expect(typeof reply.json.error.message === 'string' && reply.json.error.message.length > 0, `${where}: error.message`).toBe(true);
    return;
  }
  const error = reply.json.error;
  expect(error, `${where}: {error: {...}}`).toBeTypeOf('object');
  expect(typeof error.message === 'string' && error.message.length > 0, `${where}: error.message`).toBe(true);
  expect(typeof error.type, `${where}: error.type`).toBe('string');
  expect(
    'code' in error && (typeof error.code === 'string' || typeof error.code === 'number' || error.code === null),
    `${where}: error.code`,
  ).toBe(true);
  expect('param' in error && (typeof error.param === 'string' || error.param === null), `${where}: error.param`).toBe(true);
}

// ---- the suite ---------------------------------------------------------------------------------

describe('authorization matrix: every route × every caller', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let context: Context;
  let checks = 0;

  async function admin(request: Req): Promise<Reply> {
    return call(context, 'admin', request);
  }

  async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string; accountId: string; label: string }> {
    const created = await admin({ method: 'POST', path: '/api/v1/keys', body });
    expect(created.status, created.text).toBe(201);
    return { key: created.json.key, id: created.json.data.id, accountId: created.json.data.account_id, label: created.json.data.label };
  }

  async function principalFor(name: string, credit: number, appTitle: string, referer: string): Promise<Principal> {
    const made = await createKey({ name, credit });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.key}`, 'content-type': 'application/json', 'X-Title': appTitle, 'HTTP-Referer': referer },
      body: JSON.stringify(chatBody),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: string };
    const upstreamId = upstream.served[upstream.served.length - 1]!.id;
    const stored = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'acme/ok', input: `${name} remembers this` }),
    });
    expect(stored.status).toBe(200);
    const storedId = ((await stored.json()) as { id: string }).id;
    return { ...made, name, credit, generation: body.id, upstreamId, appTitle, referer, response: storedId };
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream({ name: 'authz' });
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000 }
providers:
  acme: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
models:
  acme/ok:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/embed:
    kind: embedding
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 0.1, completion: 0 } }
policies:
  - { id: authz-config, max_price: { completion: 1000 } }
`,
    });
    context = { gateway, upstream } as Context;
    // A two-model lineage graph (public catalog data) for the lineage rows.
    await gateway.running.store.lineage.import(
      lineageRows([
        parseHubModelInfo({ id: 'acme-org/Base-Model', downloads: 10, tags: [] }),
        parseHubModelInfo({ id: 'acme-org/tuned-model', downloads: 1, tags: ['base_model:finetune:acme-org/Base-Model'] }),
      ]),
    );
    expect(await gateway.running.gateway.lineage.refresh()).toBe(true);
    context.A = await principalFor('authz-A', 5, 'alpha-app-title-1a2b', 'https://alpha.example/app');
    context.B = await principalFor('authz-B', 7, 'bravo-app-title-3c4d', 'https://bravo.example/app');
    const disabled = await createKey({ name: 'authz-disabled', credit: 3 });
    expect((await admin({ method: 'DELETE', path: `/api/v1/keys/${disabled.id}` })).status).toBe(200);
    const disabledAdmin = await createKey({ name: 'authz-disabled-admin', admin: true });
    expect((await admin({ method: 'PATCH', path: `/api/v1/keys/${disabledAdmin.id}`, body: { disabled: true } })).status).toBe(200);
    context.disabled = disabled;
    context.disabledAdmin = disabledAdmin;
    context.victims = new Map();
    for (const kase of CASES.filter((item) => item.destructive)) {
      const name = `${kase.route} [${kase.variant}]`;
      context.victims.set(name, await createKey({ name: `victim ${name}`.slice(0, 200), credit: 2 }));
    }
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('covers every route of the route table (ROUTES and PATTERNS)', () => {
    const covered = new Set(CASES.map((kase) => kase.route));
    for (const [method, path] of ROUTES) expect(covered, `${method} ${path} has no row in the matrix`).toContain(`${method} ${path}`);
    const patterns = PATTERNS.map(([method, regex]) => ({ method, regex }));
    expect(patterns.length).toBeGreaterThanOrEqual(3);
    for (const { method, regex } of patterns) {
      const rows = [...covered].filter(
        (route) => route.startsWith(`${method} `) && regex.test(route.slice(method.length + 1).replace(/\{[^}]+\}/g, 'x')),
      );
      expect(rows, `${method} ${regex.source} has no row in the matrix`).not.toEqual([]);
    }
  });

  it.each(CELLS.map((cell) => [cell.name, cell] as const))('%s', async (_name, cell) => {
    const { kase, caller } = cell;
    const request = kase.request(context, caller, cell.name);
    const upstreamBefore = upstream.requests.length;
    const reply = await call(context, caller, request);
    checks++;

    expect(cell.expected, `${cell.name}: got ${reply.status} ${reply.text.slice(0, 300)}`).toContain(reply.status);
    const secret = presented(context, caller);
    if (secret) expect(reply.text, 'the presented key is never echoed').not.toContain(secret);
    if (reply.status >= 400)
      expectErrorShape(reply, kase.shape ?? (request.path.startsWith('/api/v1/') ? 'openrouter' : 'openai'), cell.name);
    if (reply.status === 401 && kase.modelCall)
      expect(upstream.requests.length, 'a refused caller never reaches the upstream').toBe(upstreamBefore);
    if (caller === 'A' || caller === 'B') {
      // Nothing of the other account's reaches this caller, unless the caller itself wrote it in the request.
      const other = otherPrincipal(context, caller);
      const asked = JSON.stringify(request);
      const theirs = [
        other.key,
        other.id,
        other.accountId,
        other.name,
        other.label,
        other.generation,
        `"${other.upstreamId}"`,
        other.appTitle,
        other.referer,
      ];
      for (const value of theirs)
        if (!asked.includes(value.replace(/"/g, ''))) expect(reply.text, `${cell.name} leaks ${value}`).not.toContain(value);
    }
    if (kase.check && (kase.always || (reply.status >= 200 && reply.status < 300))) await kase.check(context, caller, reply, cell.name);
  });

  it('left A and B exactly as they were: enabled, unrenamed, unlimited, with their own credit, and no key minted by them', async () => {
    const list = await admin({ method: 'GET', path: '/api/v1/keys' });
    expect(list.status).toBe(200);
    const rows = list.json.data as Array<{
      id: string;
      name: string;
      disabled: boolean;
      limit: number | null;
      rate_limit: { requests_per_minute: number | null };
      account_id: string;
    }>;
    for (const who of [context.A, context.B]) {
      expect(rows.find((row) => row.id === who.id)).toMatchObject({
        name: who.name,
        disabled: false,
        limit: null,
        rate_limit: { requests_per_minute: null },
      });
      expect(rows.filter((row) => row.account_id === who.accountId).map((row) => row.id)).toEqual([who.id]);
      const credits = await call(context, who === context.A ? 'A' : 'B', { method: 'GET', path: '/api/v1/credits' });
      expect(credits.json.data).toMatchObject({ account_id: who.accountId, total_credits: who.credit });
      expect(credits.json.data.balance).toBeGreaterThan(who.credit - 0.01);
    }
    const names = rows.map((row) => row.name);
    expect(names).toContain('minted-by-admin');
    for (const caller of CALLERS.filter((item) => item !== 'admin')) {
      expect(names).not.toContain(`minted-by-${caller}`);
      expect(names).not.toContain(`joined-by-${caller}`);
      expect(names).not.toContain(`renamed-by-${caller}`);
    }
    expect(rows.find((row) => row.id === context.disabled.id)?.disabled).toBe(true);
    expect(rows.find((row) => row.id === context.disabledAdmin.id)?.disabled).toBe(true);
    for (const caller of ['A', 'B'] as const)
      expect((await call(context, caller, { method: 'POST', path: '/v1/chat/completions', body: chatBody })).status).toBe(200);
  });

  it('made every check of the matrix', () => {
    console.log(`authorization matrix: ${checks} cells checked (${CASES.length} route cases × ${CALLERS.length} callers)`);
    expect(CELLS.length).toBe(CASES.length * CALLERS.length);
    expect(checks).toBe(CELLS.length);
  });
});
