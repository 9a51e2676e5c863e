/**
 * The red team's probes against parts 1–4, kept as permanent tests (issue: Part 5 · Hardening):
 * malformed requests that must be a 400 naming the field and must never touch endpoint health,
 * a bad percent-encoded path, upstream redirects, client disconnects that are not gateway errors,
 * and CORS, closed by default and opened by `server.cors_origins`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { startAnthropicFake, type AnthropicFake } from '../fakes/anthropic-upstream.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-upstream.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { errorLines, healthSnapshot, MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** `{a: {a: {… depth levels …}}}` as JSON text, without building the object (JSON.stringify would overflow). */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const MODELS = ['openai', 'anthropic', 'gemini'] as const;

describe('malformed requests are 400s that name the field and never touch endpoint health', () => {
  let openai: FakeUpstream;
  let anthropic: AnthropicFake;
  let gemini: GeminiFake;
  let gateway: TestGateway;
  let attacker: string;
  let victim: OpenAI;

  beforeAll(async () => {
    openai = await startFakeUpstream();
    anthropic = await startAnthropicFake();
    gemini = await startGeminiFake();
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000 }
providers:
  acme: { base_url: ${openai.url}, api_key_env: ACME_TEST_KEY }
  acme2: { base_url: ${openai.url}, api_key_env: ACME_TEST_KEY }
  claude: { type: anthropic, base_url: ${anthropic.url}, api_key_env: ACME_TEST_KEY }
  google: { type: gemini, base_url: ${gemini.url}, api_key_env: ACME_TEST_KEY }
models:
  test/openai:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 1 } }
      - { provider: acme2, model: ok, pricing: { prompt: 2, completion: 2 } }
  test/anthropic:
    endpoints:
      - { provider: claude, model: ok, pricing: { prompt: 1, completion: 1 } }
  test/gemini:
    endpoints:
      - { provider: google, model: ok, pricing: { prompt: 1, completion: 1 } }
  test/embed:
    kind: embedding
    endpoints:
      - { provider: acme, model: embed, pricing: { prompt: 1, completion: 0 } }
`,
    });
    attacker = await gateway.createKey('attacker');
    victim = gateway.client(await gateway.createKey('victim'));
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
  });

  const upstreamCalls = (): number => openai.requests.length + anthropic.requests.length + gemini.requests.length;

  async function post(path: string, body: string, key = attacker): Promise<{ status: number; json: any; text: string }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    return { status: response.status, json: JSON.parse(text), text };
  }

  it('five bodies nested 10,000 levels deep: 400 naming the field, nothing forwarded, no circuit opened, others served', async () => {
    const before = healthSnapshot(gateway);
    const calls = upstreamCalls();
    for (const model of MODELS) {
      for (let index = 0; index < 5; index++) {
        const { status, json } = await post(
          '/v1/chat/completions',
          `{"model":"test/${model}","messages":[{"role":"user","content":"hi"}],"metadata":${nested(10_000)}}`,
        );
        expect(status).toBe(400);
        expect(json.error.param).toBe('metadata');
        expect(json.error.code).toBe('nesting_too_deep');
        expect(json.error.message).toContain("'metadata.a.a.a.a.a…'");
      }
    }
    for (let index = 0; index < 5; index++) {
      const { status, json } = await post('/v1/embeddings', `{"model":"test/embed","input":"x","user":${nested(10_000)}}`);
      expect(status).toBe(400);
      expect(json.error.param).toBe('user');
    }
    const messages = await post(
      '/v1/messages',
      `{"model":"test/anthropic","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"metadata":${nested(5_000)}}`,
    );
    expect(messages.status).toBe(400);
    expect(messages.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(upstreamCalls()).toBe(calls);
    expect(healthSnapshot(gateway)).toEqual(before);
    // Another account is served by every endpoint, chat and embeddings alike.
    for (const model of MODELS) {
      const answer = await victim.chat.completions.create({ model: `test/${model}`, messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0]!.message.content).toBeTruthy();
    }
    const embedded = await victim.embeddings.create({ model: 'test/embed', input: 'x', encoding_format: 'float' });
    expect(embedded.data).toHaveLength(1);
    expect(errorLines(gateway)).toEqual([]);
  });

  it('what crashed the translators is a 400 naming the field on every upstream kind', async () => {
    const user = { role: 'user', content: 'hi' };
    const probes: Array<[string, Record<string, unknown>, string]> = [
      [
        'tool_calls: [null]',
        { messages: [user, { role: 'assistant', content: null, tool_calls: [null] }, user] },
        'messages[1].tool_calls[0]',
      ],
      [
        'tool_calls without function',
        { messages: [user, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function' }] }, user] },
        'messages[1].tool_calls[0].function',
      ],
      [
        'tool_calls arguments as an object',
        {
          messages: [
            user,
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: { a: 1 } } }],
            },
            user,
          ],
        },
        'messages[1].tool_calls[0].function.arguments',
      ],
      [
        'reasoning_details: 5',
        { messages: [user, { role: 'assistant', content: 'x', reasoning_details: 5 }, user] },
        'messages[1].reasoning_details',
      ],
      [
        'reasoning_details: [null]',
        { messages: [user, { role: 'assistant', content: 'x', reasoning_details: [null] }, user] },
        'messages[1].reasoning_details[0]',
      ],
      [
        'image_url: null',
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: null }] }] },
        'messages[0].content[0].image_url',
      ],
      [
        'image_url without url',
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { detail: 'low' } }] }] },
        'messages[0].content[0].image_url.url',
      ],
      ['text part without text', { messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }, 'messages[0].content[0].text'],
      [
        'tool_choice.function: null',
        { messages: [user], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: null } },
        'tool_choice.function',
      ],
      ['tool_choice unknown string', { messages: [user], tool_choice: 'always' }, 'tool_choice'],
      [
        'tools[0].function.parameters: 5',
        { messages: [user], tools: [{ type: 'function', function: { name: 'f', parameters: 5 } }] },
        'tools[0].function.parameters',
      ],
      ['nested role', { messages: [{ role: JSON.parse(nested(60)), content: 'x' }] }, 'messages[0].role'],
      ['huge role', { messages: [{ role: 'x'.repeat(100_000), content: 'x' }] }, 'messages[0].role'],
      ['reasoning.exclude: "yes"', { messages: [user], reasoning: { exclude: 'yes' } }, 'reasoning.exclude'],
      [
        'json_schema: null',
        { messages: [user], response_format: { type: 'json_schema', json_schema: null } },
        'response_format.json_schema',
      ],
    ];
    const before = healthSnapshot(gateway);
    const calls = upstreamCalls();
    let checked = 0;
    for (const model of MODELS) {
      for (const [name, body, param] of probes) {
        const { status, json, text } = await post('/v1/chat/completions', JSON.stringify({ model: `test/${model}`, ...body }));
        expect({ name, model, status }).toEqual({ name, model, status: 400 });
        expect({ name, param: json.error.param }).toEqual({ name, param });
        expect(text.length).toBeLessThan(2_000); // the message quotes no more than a preview of the value
        checked++;
      }
    }
    expect(checked).toBe(probes.length * MODELS.length);
    expect(upstreamCalls()).toBe(calls);
    expect(healthSnapshot(gateway)).toEqual(before);
    expect(errorLines(gateway)).toEqual([]);
  });

  it('a bad percent-encoded path is a 400 without any key, and logs no error', async () => {
    for (const method of ['PATCH', 'DELETE']) {
      const response = await fetch(`${gateway.url}/api/v1/keys/%E0%A4%A`, { method, body: method === 'PATCH' ? '{}' : undefined });
      expect(response.status).toBe(400);
      // OpenRouter's error shape on /api/v1/*: the status as `code`, Agora's reason in the metadata.
      expect(((await response.json()) as any).error).toMatchObject({
        code: 400,
        metadata: { reason: 'invalid_path', error_type: 'invalid_request' },
        type: 'invalid_request_error',
      });
    }
    const endpoints = await fetch(`${gateway.url}/api/v1/models/%ZZ/x/endpoints`);
    expect(endpoints.status).toBe(400);
    expect(errorLines(gateway)).toEqual([]);
  });

  it('a client that closes its connection mid-body or mid-answer writes no error line', async () => {
    const before = errorLines(gateway).length;
    for (let index = 0; index < 20; index++) {
      await new Promise<void>((resolve) => {
        const request = httpRequest(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'content-length': '1000' },
        });
        request.on('error', () => resolve());
        request.on('close', () => resolve());
        request.write('{"model": "test/openai", "messages": [', () => request.destroy());
      });
    }
    // A request the gateway has answered the headers of, cut while streaming.
    const controller = new AbortController();
    const stream = await victim.chat.completions.create(
      { model: 'test/openai', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal: controller.signal },
    );
    for await (const _chunk of stream) {
      controller.abort();
      break;
    }
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);
    expect(errorLines(gateway).length).toBe(before);
  });
});

describe('upstream redirects are failures, never followed', () => {
  let redirecting: Server;
  let redirectUrl: string;
  let target: Server;
  let targetHits = 0;
  let good: FakeUpstream;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    target = createServer((_request, response) => {
      targetHits++;
      response.end('{}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/v1/chat/completions`;
    redirecting = createServer((request, response) => {
      request.resume();
      const status = Number(/\/(\d{3})\//.exec(request.url ?? '')?.[1] ?? 302);
      response.writeHead(status, { location: targetUrl, 'content-type': 'text/html' });
      response.end(`<a href="${targetUrl}">moved</a>`);
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    redirectUrl = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
    good = await startFakeUpstream({ name: 'good' });
    const providers = [301, 302, 307, 308]
      .map((status) => `  r${status}: { base_url: ${redirectUrl}/${status}/v1, api_key_env: ACME_TEST_KEY }`)
      .join('\n');
    const models = [301, 302, 307, 308]
      .map(
        (status) => `  test/redirect-${status}:
    endpoints:
      - { provider: r${status}, model: ok, pricing: { prompt: 1, completion: 1 } }
      - { provider: good, model: ok, pricing: { prompt: 5, completion: 5 } }
  test/only-${status}:
    endpoints:
      - { provider: r${status}, model: ok, pricing: { prompt: 1, completion: 1 } }`,
      )
      .join('\n');
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false\nproviders:\n${providers}\n  good: { base_url: ${good.url}, api_key_env: ACME_TEST_KEY }\nmodels:\n${models}\n`,
    });
    client = gateway.client(await gateway.createKey());
  });
  afterAll(async () => {
    await gateway?.close();
    await good?.close();
    await new Promise((resolve) => redirecting?.close(resolve));
    await new Promise((resolve) => target?.close(resolve));
  });

  it('fails over to the next endpoint on 301, 302, 307 and 308, and says so in the record', async () => {
    for (const status of [301, 302, 307, 308]) {
      // The redirecting endpoint first, always (the default pick is weighted at random by price).
      const { data, response } = await client.chat.completions
        .create({
          model: `test/redirect-${status}`,
          messages: [{ role: 'user', content: 'hi' }],
          provider: { order: [`r${status}`, 'good'] },
        } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .withResponse();
      expect(data.choices[0]!.message.content).toBe('Hello from the fake upstream.');
      expect(response.headers.get('x-agora-provider')).toBe('good');
      expect(response.headers.get('x-agora-attempts')).toBe('2');
      const record = (await (
        await fetch(`${gateway.url}/api/v1/generation?id=${data.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
      ).json()) as any;
      expect(record.data.attempts[0]).toMatchObject({ provider: `r${status}`, status: 502, reason: 'upstream_redirect' });
    }
    expect(targetHits).toBe(0);
  });

  it('with no other endpoint, answers 502 upstream_redirect without a Location header', async () => {
    for (const status of [301, 302, 307, 308]) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: `test/only-${status}`, messages: [{ role: 'user', content: 'hi' }] }),
        redirect: 'manual',
      });
      expect(response.status).toBe(502);
      expect(response.headers.get('location')).toBeNull();
      expect(((await response.json()) as any).error.code).toBe('upstream_redirect');
    }
    expect(targetHits).toBe(0);
  });
});

describe('CORS', () => {
  let upstream: FakeUpstream;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await upstream?.close();
  });

  const config = (extra: string): string => `bundled_catalog: false
providers:
  acme: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
models:
  test/ok:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 1 } }
${extra}`;

  const preflight = (url: string, origin: string): Promise<Response> =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const chat = (url: string, origin: string): Promise<Response> =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin, authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/ok', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('is closed by default: no Access-Control headers, preflights refused with 403', async () => {
    const gateway = await startTestGateway({ yaml: config('') });
    gateways.push(gateway);
    const refused = await preflight(gateway.url, 'https://app.example.com');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await refused.json()) as any).error.code).toBe('cors_origin_not_allowed');
    // The route's own error shape: OpenRouter's on /api/v1/*.
    const openRouter = await fetch(`${gateway.url}/api/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(openRouter.status).toBe(403);
    expect(((await openRouter.json()) as any).error).toMatchObject({ code: 403, metadata: { reason: 'cors_origin_not_allowed' } });
    const answer = await chat(gateway.url, 'https://app.example.com');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('server.cors_origins opens it to the listed origins, with correct preflight answers', async () => {
    const gateway = await startTestGateway({ yaml: config('server: { cors_origins: ["https://app.example.com"] }') });
    gateways.push(gateway);
    const allowed = await preflight(gateway.url, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('vary')).toBe('Origin');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(Number(allowed.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    const answer = await chat(gateway.url, 'https://app.example.com');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-agora-generation-id');
    const other = await preflight(gateway.url, 'https://evil.example.net');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const errorAnswer = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: 'https://app.example.com' },
      body: '{}',
    });
    expect(errorAnswer.status).toBe(401);
    expect(errorAnswer.headers.get('access-control-allow-origin')).toBe('https://app.example.com'); // a browser app can read the error
  });

  it('"*" allows any origin', async () => {
    const gateway = await startTestGateway({ yaml: config('server: { cors_origins: ["*"] }') });
    gateways.push(gateway);
    const allowed = await preflight(gateway.url, 'https://anything.example.org');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('*');
  });
});
