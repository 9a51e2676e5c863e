/**
 * Every error a client of the OpenAI surface can meet: the status OpenAI/OpenRouter would send,
 * OpenAI's error shape with a message that names what is wrong, and no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { request as httpRequest } from 'node:http';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, MASTER_KEY, startTestGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

const MODES = [
  'ok',
  'status:500',
  'status:503',
  'status:429:7',
  'status:400',
  'status:401',
  'slow:3000',
  'hang',
  'reset',
  'malformed',
  'empty',
];

describe('errors on the OpenAI surface', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let client: OpenAI;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: `${fakeConfig(upstream.url, MODES)}\nserver: { body_limit_bytes: 4096 }` });
    apiKey = await gateway.createKey('errors');
    client = gateway.client(apiKey);
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const ask = (model: string, extra: Record<string, unknown> = {}): Promise<unknown> =>
    client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'hi' }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .then(
        () => undefined,
        (error: unknown) => error,
      );

  async function raw(
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: any; headers: Headers }> {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    expect(text).not.toMatch(/at .+\.(ts|js):\d+/); // never a stack trace
    return { status: response.status, json: JSON.parse(text), headers: response.headers };
  }

  it('400 for a body that is not JSON', async () => {
    const { status, json } = await raw('{"model": "acme/ok", "messages": [');
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(json.error.message).toContain('not valid JSON');
  });

  it('400 naming the bad field', async () => {
    const badRole = await ask('acme/ok', { messages: [{ role: 'robot', content: 'x' }] });
    expect(badRole).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badRole as APIError).param).toBe('messages[0].role');
    expect((badRole as APIError).message).toContain("'messages[0].role'");

    const badTemperature = await ask('acme/ok', { temperature: 'hot' });
    expect((badTemperature as APIError).status).toBe(400);
    expect((badTemperature as APIError).param).toBe('temperature');

    const missing = await raw(JSON.stringify({ model: 'acme/ok' }));
    expect(missing.status).toBe(400);
    expect(missing.json.error.param).toBe('messages');
    expect(upstream.requests.some((request) => request.body.temperature === 'hot')).toBe(false);
  });

  it('401 without a key, with a wrong key, and with a disabled key', async () => {
    const none = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error.type).toBe('authentication_error');
    const wrong = await gateway
      .client('sk-agora-not-a-real-key')
      .models.list()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(wrong).toBeUndefined(); // the catalog is public, as OpenRouter's is
    const wrongChat = await gateway
      .client('sk-agora-not-a-real-key')
      .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(wrongChat).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((wrongChat as APIError).message).not.toContain('sk-agora-not-a-real-key');

    const created = await fetch(`${gateway.url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(created.status).toBe(403); // only admin keys manage keys

    const doomed = await gateway.createKey('doomed');
    const id = (await gateway.running.store.keys.list()).find((row) => row.name === 'doomed')!.id;
    const disable = await fetch(`${gateway.url}/api/v1/keys?id=${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    expect(disable.status).toBe(200);
    const refused = (await gateway
      .client(doomed)
      .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error)) as APIError;
    expect(refused.status).toBe(401);
    expect(refused.message).toContain('disabled');
  });

  it('404 for an unknown model, with close matches', async () => {
    const error = await ask('acme/okk');
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).code).toBe('model_not_found');
    expect((error as APIError).message).toContain('acme/ok');
  });

  it('413 over the body limit: declared length refused before reading, and chunked bodies cut at the limit', async () => {
    const big = JSON.stringify({ model: 'acme/ok', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    const declared = await raw(big);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('payload_too_large');

    // chunked: no content-length, the body keeps coming; the gateway answers 413 without waiting for the end
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${gateway.url}/v1/chat/completions`);
      const request = httpRequest(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
          request.destroy();
        },
      );
      request.on('error', (error) =>
        error.message.includes('socket hang up') || (error as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(error),
      );
      request.write('{"model":"acme/ok","messages":[{"role":"user","content":"');
      const timer = setInterval(() => {
        if (!request.destroyed) request.write('y'.repeat(1024));
      }, 5);
      request.on('close', () => clearInterval(timer));
    });
    expect(status).toBe(413);
  });

  it('429 from the upstream passes on with Retry-After', async () => {
    const error = await ask('acme/status-429-7');
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as APIError).headers?.get('retry-after')).toBe('7');
  });

  it('502 for an upstream 500, carrying the upstream message', async () => {
    const error = (await ask('acme/status-500')) as APIError;
    expect(error.status).toBe(502);
    expect(error.message).toContain('fake upstream says 500');
    expect(error.headers?.get('x-agora-provider')).toBe('acme');
  });

  it('503 for an upstream 503, 400 passed on for an upstream 400, 502 when the upstream rejects our credentials', async () => {
    expect(((await ask('acme/status-503')) as APIError).status).toBe(503);
    const bad = (await ask('acme/status-400')) as APIError;
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('fake upstream says 400');
    const creds = (await ask('acme/status-401')) as APIError;
    expect(creds.status).toBe(502);
    expect(creds.message).not.toContain(UPSTREAM_KEY);
  });

  it('504 when the upstream does not answer within the first-byte timeout (slow or hanging)', async () => {
    for (const model of ['acme/slow-3000', 'acme/hang']) {
      const error = (await ask(model)) as APIError;
      expect(error.status).toBe(504);
      expect(error.code).toBe('upstream_timeout');
    }
  });

  it('502 for a reset connection, malformed JSON, or an empty 200', async () => {
    for (const model of ['acme/reset', 'acme/malformed', 'acme/empty']) {
      const error = (await ask(model)) as APIError;
      expect(error.status, model).toBe(502);
    }
    const streamed = await client.chat.completions
      .create({ model: 'acme/malformed', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((caught: unknown) => caught);
    expect((streamed as APIError).status).toBe(502);
    expect((streamed as APIError).code).toBe('upstream_malformed_response');
  });

  it('records failed generations with their error', async () => {
    const error = (await ask('acme/status-500')) as APIError;
    const id = error.headers?.get('x-agora-generation-id');
    expect(id).toMatch(/^gen-/);
    const response = await fetch(`${gateway.url}/api/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const record = ((await response.json()) as any).data;
    expect(record).toMatchObject({ status: 'error', http_status: 502, provider_name: 'acme', finish_reason: 'error' });
    expect(record.error.code).toBe('upstream_error');
  });

  it('404 in the same shape for an unknown route', async () => {
    const response = await fetch(`${gateway.url}/v1/nope`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.code).toBe('unknown_route');
  });
});
