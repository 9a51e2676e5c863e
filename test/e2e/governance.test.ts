/**
 * Governance end to end, one story per case, driven by the official `openai` and
 * `@anthropic-ai/sdk` clients against a gateway with four hosts of one open model, each its own
 * fake upstream (its request count says who served):
 *   origin   — the author's own API: company CN, data centre CN, trains on prompts, cheapest
 *   closedai — company US, data centre US, refuses clients in CN/HK/MO (as OpenAI did in July 2024), zero retention
 *   euhost   — company DE, data centres DE+FR, no training
 *   ushost   — company US, data centre US, no training, zero retention
 * The client's region comes from `x-client-region`, trusted from loopback (the test's proxy).
 * Policies are written through the admin API, scoped to one key per story, and take effect live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { freshDatabase, MASTER_KEY, routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/events.js';

type Host = 'origin' | 'closedai' | 'euhost' | 'ushost';
const HOSTS: Host[] = ['origin', 'closedai', 'euhost', 'ushost'];

function yamlFor(fakes: Record<Host, FakeUpstream>, extra = ''): string {
  return routingConfig(
    {
      origin: {
        url: fakes.origin.url,
        extra: 'jurisdiction: CN\n    datacenters: [CN]\n    data_policy: { trains_on_prompts: true, retention_days: 30 }',
      },
      closedai: {
        url: fakes.closedai.url,
        extra:
          'jurisdiction: US\n    datacenters: [US]\n    refused_regions: [CN, HK, MO]\n    data_policy: { zdr: true, trains_on_prompts: false, retention_days: 0 }',
      },
      euhost: {
        url: fakes.euhost.url,
        extra: 'jurisdiction: DE\n    datacenters: [DE, FR]\n    data_policy: { trains_on_prompts: false, retention_days: 7 }',
      },
      ushost: {
        url: fakes.ushost.url,
        extra: 'jurisdiction: US\n    datacenters: [US]\n    data_policy: { zdr: true, trains_on_prompts: false, retention_days: 0 }',
      },
    },
    {
      'deepseek/r1': [
        { provider: 'origin', model: 'ok', prompt: 0.5, completion: 2, extra: 'context_length: 65536' },
        { provider: 'euhost', model: 'ok', prompt: 2, completion: 6, extra: 'context_length: 65536' },
        { provider: 'ushost', model: 'ok', prompt: 3, completion: 7, extra: 'context_length: 65536' },
      ],
      'closedai/gpt': [{ provider: 'closedai', model: 'ok', prompt: 2, completion: 8, extra: 'context_length: 65536' }],
      'meta/llama': [
        { provider: 'ushost', model: 'ok', prompt: 1, completion: 4, extra: 'context_length: 65536' },
        { provider: 'euhost', model: 'ok', prompt: 1, completion: 3, extra: 'context_length: 65536' },
      ],
    },
    `authors:
  deepseek: { name: DeepSeek, country: CN }
  meta: { name: Meta, country: US }
  closedai: { name: ClosedAI, country: US }
governance:
  region_header: X-Client-Region
  trusted_proxies: [127.0.0.1/32, "::1"]
  refresh_ms: 50
policies:
  - id: config-max-price
    description: nothing above $20 per 1M completion tokens, for everyone
    max_price: { completion: 20 }
${extra}`,
  );
}

describe('governance', () => {
  const fakes = {} as Record<Host, FakeUpstream>;
  let gateway: TestGateway;

  beforeAll(async () => {
    for (const name of HOSTS) fakes[name] = await startFakeUpstream({ name });
    gateway = await startTestGateway({ yaml: yamlFor(fakes) });
  });
  afterAll(async () => {
    await gateway?.close();
    for (const fake of Object.values(fakes)) await fake?.close();
  });

  const counts = (): Record<Host, number> =>
    Object.fromEntries(HOSTS.map((name) => [name, fakes[name].requests.length])) as Record<Host, number>;
  const served = (before: Record<Host, number>): Host[] => HOSTS.filter((name) => fakes[name].requests.length > before[name]);

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  }

  async function newKey(name: string, region?: string): Promise<{ id: string; key: string }> {
    const created = await admin('POST', '/api/v1/keys', { name, ...(region ? { region } : {}) });
    expect(created.status).toBe(201);
    return { id: created.json.data.hash, key: created.json.key };
  }

  function openai(key: string, region?: string): OpenAI {
    return gateway.client(key, region ? { defaultHeaders: { 'x-client-region': region } } : {});
  }

  async function chat(client: OpenAI, model: string | string[]) {
    const models = Array.isArray(model) ? model : [model];
    return client.chat.completions
      .create({
        model: models[0]!,
        messages: [{ role: 'user', content: `hello ${Math.random()}` }],
        ...(models.length > 1 ? { models } : {}),
      } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
  }

  async function refused(promise: Promise<unknown>): Promise<APIError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(APIError);
    return error as APIError;
  }

  it('story: a provider refusing a client region — CN is refused by closedai itself, with compliant alternatives; US is served', async () => {
    const { key } = await newKey('region-story');
    const before = counts();
    const error = await refused(chat(openai(key, 'CN'), 'closedai/gpt'));
    expect(error.status).toBe(403);
    expect(served(before)).toEqual([]);
    const body = error.error as { message: string; code: string; metadata: any };
    expect(body.message).toContain('provider_refuses_region');
    expect(body.message).toContain('does not serve clients in CN');
    expect(body.metadata.rule).toBe('provider_refuses_region');
    expect(body.metadata.scope).toBe('provider');
    expect(body.metadata.region).toBe('CN');
    // The alternatives really are compliant: each one is served to the same client from CN.
    const alternatives = body.metadata.alternatives as Array<{ model: string; provider: string }>;
    expect(alternatives.length).toBeGreaterThan(0);
    for (const alternative of alternatives) {
      expect(alternative.provider).not.toBe('closedai');
      const again = counts();
      const answer = await openai(key, 'CN')
        .chat.completions.create({
          model: alternative.model,
          messages: [{ role: 'user', content: 'alt' }],
          provider: { only: [alternative.provider] },
        } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .withResponse();
      expect(answer.response.status).toBe(200);
      expect(served(again)).toEqual([alternative.provider]);
    }
    const ok = await chat(openai(key, 'US'), 'closedai/gpt');
    expect(ok.response.headers.get('x-agora-policy')).toBe('config-max-price; region=US');
  });

  it('story: a region header from an untrusted peer is ignored (only loopback is trusted here, so the key’s own region decides)', async () => {
    // Keys carry a region too: a key set to HK is refused by closedai with no header at all.
    const { key } = await newKey('hk-key', 'HK');
    const error = await refused(chat(openai(key), 'closedai/gpt'));
    expect((error.error as any).metadata).toMatchObject({ region: 'HK', region_source: 'key', rule: 'provider_refuses_region' });
    // A header from the trusted proxy wins over the key's own setting.
    const ok = await chat(openai(key, 'FR'), 'closedai/gpt');
    expect(ok.response.headers.get('x-agora-policy')).toContain('region=FR');
  });

  it('story: a ban of one author’s models — refused on both surfaces, naming the rule and scope, alternatives from other authors; `models` fallbacks are checked too', async () => {
    const { id, key } = await newKey('author-ban');
    const created = await admin('POST', '/api/v1/policies', { id: 'no-deepseek', scope: `key:${id}`, deny_authors: ['deepseek'] });
    expect(created.status).toBe(201);
    const before = counts();
    const error = await refused(chat(openai(key, 'US'), 'deepseek/r1'));
    expect(error.status).toBe(403);
    expect(served(before)).toEqual([]);
    const body = error.error as { message: string; metadata: any };
    expect(body.metadata).toMatchObject({ rule: 'author', policy: 'no-deepseek', scope: `key:${id}` });
    expect(body.message).toContain('policy "no-deepseek"');
    const alternatives = body.metadata.alternatives as Array<{ model: string }>;
    expect(alternatives.length).toBeGreaterThan(0);
    expect(alternatives.every((item) => !item.model.startsWith('deepseek/'))).toBe(true);

    // The Anthropic surface: its own error shape, the same explanation.
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: key, maxRetries: 0 });
    const viaMessages = await anthropic.messages
      .create({ model: 'deepseek/r1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(viaMessages).toBeInstanceOf(Anthropic.APIError);
    const anthropicError = viaMessages as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError.status).toBe(403);
    expect((anthropicError.error as any).type).toBe('error');
    expect((anthropicError.error as any).error.type).toBe('permission_error');
    expect((anthropicError.error as any).error.message).toContain('rule author');

    // A fallback list: the banned model is skipped, the next one serves.
    const fallback = counts();
    const answer = await chat(openai(key, 'US'), ['deepseek/r1', 'meta/llama']);
    expect(answer.data.model).toBe('meta/llama');
    expect(served(fallback)).toHaveLength(1);
    expect(answer.response.headers.get('x-agora-policy')).toBe('config-max-price, no-deepseek; region=US');

    // The audit log has the refusal, filterable by key, rule and outcome; an ordinary key may not read it.
    const audit = await admin('GET', `/api/v1/audit?key=${id}&rule=author&outcome=refused`);
    expect(audit.status).toBe(200);
    expect(audit.json.data.length).toBe(2);
    // Newest first: the Anthropic request (no region header, a key without a region: unknown), then the OpenAI one.
    expect(audit.json.data.map((row: any) => row.region)).toEqual(['unknown', 'US']);
    expect(audit.json.data[1]).toMatchObject({ key_id: id, outcome: 'refused', rule: 'author', policy: 'no-deepseek', scope: `key:${id}` });
    const allowedRows = await admin('GET', `/api/v1/audit?key=${id}&outcome=allowed`);
    expect(allowedRows.json.data).toHaveLength(1);
    expect(allowedRows.json.data[0]).toMatchObject({
      model: 'deepseek/r1',
      outcome: 'allowed',
      applied: ['config-max-price', 'no-deepseek'],
    });
    const forbidden = await fetch(`${gateway.url}/api/v1/audit`, { headers: { authorization: `Bearer ${key}` } });
    expect(forbidden.status).toBe(403);
  });

  it('story: EU-only residency — the open model whose author’s API is denied is served through the EU host', async () => {
    const { id, key } = await newKey('eu-only');
    expect((await admin('PUT', `/api/v1/policies/eu-only`, { scope: `key:${id}`, datacenter_regions: { allow: ['EU'] } })).status).toBe(
      200,
    );
    for (let index = 0; index < 3; index++) {
      const before = counts();
      const answer = await chat(openai(key, 'DE'), 'deepseek/r1');
      expect(answer.response.status).toBe(200);
      expect(served(before)).toEqual(['euhost']);
      expect(answer.response.headers.get('x-agora-policy')).toBe('config-max-price, eu-only; region=DE');
    }
    // Asking for the author's own API by name is refused, naming residency, with the EU host as the alternative.
    const error = await refused(
      openai(key, 'DE').chat.completions.create({
        model: 'deepseek/r1',
        messages: [{ role: 'user', content: 'x' }],
        provider: { only: ['origin'] },
      } as OpenAI.ChatCompletionCreateParamsNonStreaming),
    );
    expect(error.status).toBe(403);
    expect((error.error as any).metadata.rule).toBe('datacenter_region');
    expect((error.error as any).metadata.alternatives).toEqual([
      { model: 'deepseek/r1', provider: 'euhost', prompt: 2, completion: 6, context_length: 65536 },
    ]);
  });

  it('story: zero retention required — only the hosts that commit to it serve', async () => {
    const { id, key } = await newKey('zdr');
    expect((await admin('POST', '/api/v1/policies', { id: 'zdr-only', scope: `key:${id}`, require_zdr: true })).status).toBe(201);
    const before = counts();
    await chat(openai(key, 'US'), 'deepseek/r1');
    expect(served(before)).toEqual(['ushost']);
  });

  it('a policy change is picked up live: created → refused, deleted → served again, no restart', async () => {
    const { id, key } = await newKey('live');
    const client = openai(key, 'US');
    expect((await chat(client, 'meta/llama')).response.status).toBe(200);
    expect((await admin('POST', '/api/v1/policies', { id: 'live-ban', scope: `key:${id}`, deny_authors: ['meta'] })).status).toBe(201);
    expect((await refused(chat(client, 'meta/llama'))).status).toBe(403);
    expect((await admin('DELETE', '/api/v1/policies/live-ban')).status).toBe(200);
    expect((await chat(client, 'meta/llama')).response.status).toBe(200);
  });

  it('provider facts changed through the admin API take effect live', async () => {
    const { key } = await newKey('facts');
    // euhost now refuses clients in BR.
    const patched = await admin('PATCH', '/api/v1/providers/euhost', { refused_regions: ['br'] });
    expect(patched.status).toBe(200);
    expect(patched.json.refused_regions).toEqual(['BR']);
    const before = counts();
    for (let index = 0; index < 3; index++) await chat(openai(key, 'BR'), 'meta/llama');
    expect(fakes.euhost.requests.length).toBe(before.euhost);
    expect(fakes.ushost.requests.length).toBe(before.ushost + 3);
    const providers = await fetch(`${gateway.url}/api/v1/providers`).then((response) => response.json() as Promise<any>);
    expect(providers.data.find((item: any) => item.slug === 'euhost')).toMatchObject({ headquarters: 'DE', refused_regions: ['BR'] });
    expect((await admin('PATCH', '/api/v1/providers/euhost', { refused_regions: [] })).status).toBe(200);
  });

  it('dry run: GET /api/v1/policy/check says what would be allowed and why, without calling a model', async () => {
    const { id, key } = await newKey('dry-run');
    await admin('POST', '/api/v1/policies', { id: 'dry-eu', scope: `key:${id}`, datacenter_regions: { allow: ['EU'] } });
    const before = counts();
    const check = await admin('GET', `/api/v1/policy/check?model=deepseek/r1&region=de&key=${id}`);
    expect(check.status).toBe(200);
    expect(check.json).toMatchObject({ model: 'deepseek/r1', key: id, region: 'DE', region_source: 'query', allowed: true });
    expect(check.json.policies).toEqual(['config-max-price', 'dry-eu']);
    const byProvider = Object.fromEntries(check.json.endpoints.map((item: any) => [item.provider, item.allowed ? 'allowed' : item.rule]));
    expect(byProvider).toEqual({ origin: 'datacenter_region', euhost: 'allowed', ushost: 'datacenter_region' });
    // The key may check itself, but not another key.
    const own = await fetch(`${gateway.url}/api/v1/policy/check?model=closedai/gpt&region=CN`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const ownBody = (await own.json()) as any;
    expect(ownBody.allowed).toBe(false);
    expect(ownBody.endpoints[0]).toMatchObject({ provider: 'closedai', allowed: false, rule: 'provider_refuses_region' });
    expect(ownBody.alternatives.length).toBeGreaterThan(0);
    const other = await newKey('other-tenant');
    const foreign = await fetch(`${gateway.url}/api/v1/policy/check?model=deepseek/r1&key=${other.id}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(foreign.status).toBe(403);
    expect(served(before)).toEqual([]);
  });

  it('admin API: malformed input gets 400 naming the field; config policies are read-only; ordinary keys get 403', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/v1/policies', { id: 'x', client_regions: { allow: ['US'], deny: ['CN'] } }, 400, 'client_regions'],
      ['POST', '/api/v1/policies', { id: 'x', client_regions: { allow: ['usa'] } }, 400, 'client_regions.allow.0'],
      ['POST', '/api/v1/policies', { id: 'x', deny_author: ['meta'] }, 400, 'deny_author'],
      ['POST', '/api/v1/policies', { id: 'x', scope: 'team' }, 400, 'scope'],
      ['POST', '/api/v1/policies', { id: 'Has Spaces' }, 400, 'id'],
      ['POST', '/api/v1/policies', '[1,2]', 400, 'JSON object'],
      ['POST', '/api/v1/policies', '{"id":', 400, 'JSON'],
      ['PUT', '/api/v1/policies/a', { id: 'b' }, 400, 'differs'],
      ['POST', '/api/v1/policies', { id: 'config-max-price' }, 409, 'config file'],
      ['DELETE', '/api/v1/policies/config-max-price', undefined, 409, 'config file'],
      ['DELETE', '/api/v1/policies/nope', undefined, 404, 'nope'],
      ['PATCH', '/api/v1/providers/euhost', { country: 'DE' }, 400, 'country'],
      ['PATCH', '/api/v1/providers/euhost', { datacenters: ['Germany'] }, 400, 'datacenters[0]'],
      ['PATCH', '/api/v1/providers/euhost', { data_policy: { zdr: 'yes' } }, 400, 'zdr'],
      ['PATCH', '/api/v1/providers/nope', { datacenters: [] }, 404, 'nope'],
      ['GET', '/api/v1/policy/check?region=US', undefined, 400, 'model'],
      ['GET', '/api/v1/policy/check?model=deepseek/r1&region=Europe', undefined, 400, 'region'],
      ['GET', '/api/v1/policy/check?model=nope/nope', undefined, 404, 'nope/nope'],
      ['GET', '/api/v1/audit?outcome=maybe', undefined, 400, 'outcome'],
      ['GET', '/api/v1/audit?limit=0', undefined, 400, 'limit'],
      ['GET', '/api/v1/audit?from=yesterday', undefined, 400, 'from'],
    ];
    for (const [method, path, body, status, mention] of cases) {
      const answer = await admin(method, path, body);
      expect(`${method} ${path} → ${answer.status}`).toBe(`${method} ${path} → ${status}`);
      expect(answer.json.error.message).toContain(mention);
    }
    expect((await admin('POST', '/api/v1/policies', { id: 'dup', max_price: { prompt: 100 } })).status).toBe(201);
    expect((await admin('POST', '/api/v1/policies', { id: 'dup' })).status).toBe(409);
    const listed = await admin('GET', '/api/v1/policies');
    expect(listed.json.data.find((item: any) => item.id === 'config-max-price')).toMatchObject({ source: 'config' });
    expect(listed.json.data.find((item: any) => item.id === 'dup')).toMatchObject({ source: 'admin', max_price: { prompt: 100 } });
    expect((await admin('DELETE', '/api/v1/policies/dup')).status).toBe(200);

    const { key } = await newKey('ordinary');
    for (const [method, path] of [
      ['GET', '/api/v1/policies'],
      ['POST', '/api/v1/policies'],
      ['GET', '/api/v1/policies/config-max-price'],
      ['PUT', '/api/v1/policies/x'],
      ['DELETE', '/api/v1/policies/x'],
      ['GET', '/api/v1/audit'],
      ['PATCH', '/api/v1/providers/euhost'],
    ] as const) {
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify({ id: 'x', datacenters: [] }) }),
      });
      expect(`${method} ${path} → ${response.status}`).toBe(`${method} ${path} → 403`);
    }
  });
});

describe('governance across instances (PostgreSQL)', () => {
  it('a policy written on one gateway is enforced by another on the same database without a restart', async () => {
    const fakes = {} as Record<Host, FakeUpstream>;
    for (const name of HOSTS) fakes[name] = await startFakeUpstream({ name });
    const database = await freshDatabase('postgres');
    const first = await startTestGateway({ yaml: yamlFor(fakes), databaseUrl: database.url });
    const second = await startTestGateway({ yaml: yamlFor(fakes), databaseUrl: database.url, keyRefreshMs: 50 });
    try {
      const key = await first.createKey('two');
      const client = second.client(key, { defaultHeaders: { 'x-client-region': 'US' } });
      const ask = () =>
        client.chat.completions.create({ model: 'meta/llama', messages: [{ role: 'user', content: 'x' }] }).then(
          () => 200,
          (error: unknown) => (error instanceof APIError ? (error.status ?? 0) : -1),
        );
      const seen = await pollUntil(ask, (status) => status === 200, { maxAttempts: 500, withinMs: 20_000 });
      expect(seen.met).toBe(true);
      const write = await fetch(`${first.url}/api/v1/policies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'no-meta', deny_authors: ['meta'] }),
      });
      expect(write.status).toBe(201);
      const refused = await pollUntil(ask, (status) => status === 403, { maxAttempts: 2_000, withinMs: 30_000 });
      expect(refused.met).toBe(true);
    } finally {
      await second.close();
      await first.running.shutdown(2_000);
      await database.drop();
      for (const fake of Object.values(fakes)) await fake.close();
    }
  });
});

describe('governance over the bundled catalog', () => {
  it('its facts are bundled: OpenAI refuses Hong Kong, Anthropic China, and DeepSeek’s own API runs in CN (refused under EU residency)', async () => {
    const gateway = await startTestGateway({
      yaml: '',
      env: { OPENAI_API_KEY: 'sk-test-openai-0001', DEEPSEEK_API_KEY: 'sk-test-deepseek-0001' },
    });
    try {
      const check = async (query: string) => {
        const response = await fetch(`${gateway.url}/api/v1/policy/check?${query}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
        expect(response.status).toBe(200);
        return (await response.json()) as any;
      };
      const hk = await check('model=openai/gpt-4o&region=HK');
      expect(hk.allowed).toBe(false);
      expect(hk.endpoints).toEqual([expect.objectContaining({ provider: 'openai', allowed: false, rule: 'provider_refuses_region' })]);
      expect((await check('model=openai/gpt-4o&region=JP')).allowed).toBe(true);
      const facts = await fetch(`${gateway.url}/api/v1/providers`).then((response) => response.json() as Promise<any>);
      const deepseek = facts.data.find((item: any) => item.slug === 'deepseek');
      expect(deepseek).toMatchObject({ headquarters: 'CN', datacenters: ['CN'] });
      expect(facts.data.find((item: any) => item.slug === 'anthropic').refused_regions).toEqual(expect.arrayContaining(['CN', 'HK', 'MO']));
      // A key under EU residency: DeepSeek's own endpoint is refused, naming where it runs.
      const created = await fetch(`${gateway.url}/api/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'eu' }),
      }).then((response) => response.json() as Promise<any>);
      const put = await fetch(`${gateway.url}/api/v1/policies/eu-key`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope: `key:${created.data.hash}`, datacenter_regions: { allow: ['EU'] } }),
      });
      expect(put.status).toBe(200);
      const eu = await check(`model=deepseek/deepseek-chat&region=DE&key=${created.data.hash}`);
      const own = eu.endpoints.find((item: any) => item.provider === 'deepseek');
      expect(own).toMatchObject({ allowed: false, rule: 'datacenter_region' });
      expect(own.detail).toContain('CN');
    } finally {
      await gateway.close();
    }
  });
});

describe('agora policy (CLI)', () => {
  it('check says what would be allowed and why, exit 1 when refused; list shows the policies; bad flags are named', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    const CLI = join(import.meta.dirname, '../../dist/cli/index.js');
    const folder = mkdtempSync(join(tmpdir(), 'agora-policy-cli-'));
    try {
      const fakeUrl = 'http://127.0.0.1:9/v1';
      const fakes = Object.fromEntries(HOSTS.map((name) => [name, { url: fakeUrl } as FakeUpstream])) as Record<Host, FakeUpstream>;
      writeFileSync(
        join(folder, 'config.yaml'),
        yamlFor(fakes, '  - { id: no-deepseek, description: "no DeepSeek models", deny_authors: [deepseek] }'),
      );
      const db = `sqlite:${join(folder, 'cli.db')}`;
      const env = { ...process.env, ACME_TEST_KEY: 'set' };
      const args = (...rest: string[]) => [CLI, 'policy', ...rest, '--config', join(folder, 'config.yaml'), '--db', db];
      const refused = await run(process.execPath, args('check', '--model', 'deepseek/r1', '--region', 'us'), { env }).catch(
        (error: { code: number; stdout: string }) => error,
      );
      expect(refused).toMatchObject({ code: 1 });
      const text = (refused as { stdout: string }).stdout;
      expect(text).toContain('deepseek/r1 for a client in US; policies: config-max-price, no-deepseek');
      expect(text).toMatch(/origin\s+refused\s+author\s+no-deepseek \(gateway\)/);
      expect(text).toContain('Compliant alternatives:');
      expect(text).toContain('meta/llama at');
      const allowed = await run(process.execPath, args('check', '--model', 'closedai/gpt', '--region', 'DE'), { env });
      expect(allowed.stdout).toContain('Allowed.');
      const json = await run(process.execPath, args('check', '--model', 'closedai/gpt', '--region', 'HK', '--json'), { env }).catch(
        (error: { code: number; stdout: string }) => error,
      );
      expect(JSON.parse((json as { stdout: string }).stdout)).toMatchObject({
        allowed: false,
        region: 'HK',
        endpoints: [{ provider: 'closedai', allowed: false, rule: 'provider_refuses_region' }],
      });
      const list = await run(process.execPath, args('list'), { env });
      expect(list.stdout).toMatch(/no-deepseek\s+gateway\s+config\s+deny_authors/);
      const bad = await run(process.execPath, args('check', '--model', 'deepseek/r1', '--region', 'Europe'), { env }).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(bad).toMatchObject({ code: 1 });
      expect((bad as { stderr: string }).stderr).toContain('--region expects an ISO 3166');
      const help = await run(process.execPath, [CLI, 'policy', 'check', '--help']);
      expect(help.stdout).toContain('--model <id>');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
