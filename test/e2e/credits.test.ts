/**
 * Accounting through the API, on SQLite and PostgreSQL: costs against hand-computed figures,
 * prepaid credits that never go below zero under 200 concurrent requests, 402 with balance and
 * need, the credits/key/usage APIs, idempotent retries and per-key rate limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, routingConfig, startTestGateway, type TestDatabase, type TestGateway } from '../helpers/gateway.js';

const PRICED = 'pricing: { prompt: 0.28, completion: 0.42, cache_read: 0.028, reasoning: 1.0, request: 0.001 }';

describe.each<TestDatabase>(['sqlite', 'postgres'])('credits and costs on %s', (database) => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const yaml = `${routingConfig(
      { acme: upstream.url },
      {
        'acme/priced': [{ provider: 'acme', model: 'usage:1000:500:200:100' }],
        'acme/tiered': [{ provider: 'acme', model: 'usage:200000:1000:0:0', extra: 'context_length: 1000000' }],
        'acme/exact': [{ provider: 'acme', model: 'exact', prompt: 0, completion: 10 }],
        'acme/ok': [{ provider: 'acme', model: 'ok' }],
        'acme/slow': [{ provider: 'acme', model: 'slow:300' }],
        'acme/failing': [{ provider: 'acme', model: 'status:500' }],
      },
    )}`
      .replace(/model: "usage:1000:500:200:100", pricing: \{[^}]*\}/, `model: "usage:1000:500:200:100", ${PRICED}`)
      .replace(
        /model: "usage:200000:1000:0:0", pricing: \{[^}]*\}/,
        'model: "usage:200000:1000:0:0", pricing: { prompt: 0.28, completion: 0.42, tiers: [{ above_prompt_tokens: 100000, prompt: 0.56, completion: 0.84 }] }',
      );
    gateway = await startTestGateway({ yaml, database });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  async function admin(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<{ status: number; json: any }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  async function prepaidKey(credit: number, extra: Record<string, unknown> = {}): Promise<{ key: string; id: string }> {
    const created = await admin('/api/v1/keys', { name: 'prepaid', credit, ...extra });
    expect(created.status).toBe(201);
    return { key: created.json.key, id: created.json.data.id };
  }

  it('prices cached and reasoning tokens and the per-request fee exactly, plain and streamed', async () => {
    // (1000 - 200) × 0.28 + 200 × 0.028 + (500 - 100) × 0.42 + 100 × 1.0 per 1M tokens, plus $0.001 per request
    const expected = 0.0014976;
    const { key } = await prepaidKey(10);
    const client = gateway.client(key);
    const plain = await client.chat.completions.create({ model: 'acme/priced', messages: [{ role: 'user', content: 'x' }] });
    const usage = plain.usage as unknown as Record<string, any>;
    expect(usage.cost).toBe(expected);
    expect(usage.cost_details.cache_read_cost).toBe(0.0000056);
    expect(usage.cost_details.reasoning_cost).toBe(0.0001);
    expect(usage.cost_details.request_cost).toBe(0.001);
    expect(usage.cost_details.upstream_inference_prompt_cost + usage.cost_details.upstream_inference_completions_cost).toBeCloseTo(
      expected,
      12,
    );

    const stream = await client.chat.completions.create({ model: 'acme/priced', messages: [{ role: 'user', content: 'x' }], stream: true });
    let streamedCost: number | undefined;
    for await (const chunk of stream) if (chunk.usage) streamedCost = (chunk.usage as unknown as { cost: number }).cost;
    expect(streamedCost).toBe(expected);

    const record = await fetch(`${gateway.url}/api/v1/generation?id=${plain.id}`, { headers: { authorization: `Bearer ${key}` } });
    const data = ((await record.json()) as { data: Record<string, unknown> }).data;
    expect(data).toMatchObject({
      total_cost: expected,
      native_tokens_cached: 200,
      native_tokens_reasoning: 100,
      tokens_prompt: 1000,
      tokens_completion: 500,
    });

    const credits = await fetch(`${gateway.url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await credits.json()) as { data: Record<string, number> }).data).toMatchObject({ total_credits: 10, total_usage: 0.0029952 });
  });

  it('prices a long prompt at its long-context tier', async () => {
    const { key } = await prepaidKey(1);
    const answer = await gateway.client(key).chat.completions.create({ model: 'acme/tiered', messages: [{ role: 'user', content: 'x' }] });
    expect((answer.usage as unknown as { cost: number }).cost).toBe(0.11284); // 200000 × 0.56 + 1000 × 0.84 per 1M
  });

  it('200 concurrent requests against credit for 50: exactly 50 served, the rest 402, the balance never below zero', async () => {
    const { key } = await prepaidKey(0.05); // each request may cost 100 × $10/1M = $0.001, and costs exactly that
    const before = upstream.served.length;
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'acme/exact',
            max_tokens: 100,
            stream: index % 2 === 0,
            messages: [{ role: 'user', content: `n${index}` }],
          }),
        });
        const text = await response.text();
        return { status: response.status, text };
      }),
    );
    const ok = results.filter((result) => result.status === 200);
    const refused = results.filter((result) => result.status === 402);
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect(upstream.served.length - before).toBe(50);
    const error = JSON.parse(refused[0]!.text) as { error: { code: string; metadata: Record<string, unknown> } };
    expect(error.error.code).toBe('insufficient_credits');
    expect(error.error.metadata).toMatchObject({ error_type: 'payment_required', limit_source: 'credits', needed: 0.001 });
    const credits = await fetch(`${gateway.url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await credits.json()) as { data: Record<string, number> }).data).toMatchObject({ balance: 0, total_usage: 0.05, reserved: 0 });
  });

  it('charges nothing for a failed generation, and a top-up is counted once', async () => {
    const { key, id } = await prepaidKey(0.001);
    const failed = (await gateway
      .client(key)
      .chat.completions.create({ model: 'acme/failing', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as APIError;
    expect(failed.status).toBe(502);
    const first = await admin('/api/v1/credits/topup', { key_id: id, amount: 2, idempotency_key: `topup-${id}` });
    const again = await admin('/api/v1/credits/topup', { key_id: id, amount: 2, idempotency_key: `topup-${id}` });
    expect(first.status).toBe(201);
    expect(again.json.data.duplicate).toBe(true);
    const credits = await fetch(`${gateway.url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await credits.json()) as { data: Record<string, number> }).data).toMatchObject({
      total_credits: 2.001,
      total_usage: 0,
      balance: 2.001,
    });
  });

  it('refuses with 402 when a daily spend limit would be passed, naming it', async () => {
    const { key } = await prepaidKey(5, { limit_daily: 0.0015 });
    const client = gateway.client(key);
    await client.chat.completions.create({ model: 'acme/exact', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    const refused = (await client.chat.completions
      .create({ model: 'acme/exact', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as APIError;
    expect(refused.status).toBe(402);
    expect((refused.error as { metadata: Record<string, unknown> }).metadata.limit_source).toBe('daily_limit');
    const keyInfo = await fetch(`${gateway.url}/api/v1/key`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await keyInfo.json()) as { data: Record<string, unknown> }).data).toMatchObject({
      usage: 0.001,
      usage_daily: 0.001,
      limit_daily: 0.0015,
    });
  });

  it('an idempotent retry storm makes one upstream call; a busy key gets 409, another body 422, a repeat the stored answer', async () => {
    const { key } = await prepaidKey(1);
    const before = upstream.requests.length;
    const body = JSON.stringify({ model: 'acme/slow', messages: [{ role: 'user', content: 'once' }] });
    const send = (text: string): Promise<{ status: number; text: string; headers: Headers }> =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'storm-1' },
        body: text,
      }).then(async (response) => ({ status: response.status, text: await response.text(), headers: response.headers }));
    const storm = await Promise.all(Array.from({ length: 20 }, () => send(body)));
    expect(storm.filter((result) => result.status === 200)).toHaveLength(1);
    expect(storm.filter((result) => result.status === 409)).toHaveLength(19);
    const original = storm.find((result) => result.status === 200)!;
    const repeat = await send(body);
    expect(repeat.status).toBe(200);
    expect(repeat.text).toBe(original.text);
    expect(repeat.headers.get('x-agora-idempotent-replay')).toBe('true');
    expect((await send(body.replace('once', 'twice'))).status).toBe(422);
    expect(upstream.requests.length - before).toBe(1);
    // the SDK's own retries carry no key: with one, a retried call after success is free and identical
    const credits = await fetch(`${gateway.url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await credits.json()) as { data: Record<string, number> }).data.total_usage).toBeGreaterThan(0);
  });

  it('rate limits a key per minute with 429, Retry-After and x-ratelimit headers', async () => {
    const created = await admin('/api/v1/keys', { name: 'limited', rpm: 3 });
    const client = gateway.client(created.json.key as string);
    const first = await client.chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    await client.chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] });
    await client.chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] });
    const limited = (await client.chat.completions
      .create({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as APIError;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('exports usage as CSV and JSON, a key seeing only its own', async () => {
    const { key } = await prepaidKey(1);
    await gateway.client(key).chat.completions.create({ model: 'acme/priced', messages: [{ role: 'user', content: 'x' }] });
    const json = await fetch(`${gateway.url}/api/v1/usage?format=json`, { headers: { authorization: `Bearer ${key}` } });
    const rows = ((await json.json()) as { data: Array<Record<string, unknown>> }).data;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'acme/priced', prompt_tokens: 1000, cost_usd: '0.0014976' });
    const csv = await (await fetch(`${gateway.url}/api/v1/usage?format=csv`, { headers: { authorization: `Bearer ${key}` } })).text();
    const lines = csv.trim().split('\n');
    expect(lines[0]).toContain('cost_usd');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('0.0014976');
  });
});
