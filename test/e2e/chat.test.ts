/**
 * The OpenAI surface, driven by the official `openai` SDK against a real gateway and a scripted
 * upstream, on SQLite and on the local PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, startTestGateway, UPSTREAM_KEY, type TestDatabase, type TestGateway } from '../helpers/gateway.js';

describe.each<TestDatabase>(['sqlite', 'postgres'])('OpenAI chat surface on %s', (database) => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let client: OpenAI;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({
      yaml: fakeConfig(upstream.url, ['ok', 'tools', 'echo', 'no-finish', 'die-after:2', 'inband-error']),
      database,
    });
    apiKey = await gateway.createKey('chat-tests');
    client = gateway.client(apiKey);
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('answers a chat completion with the gateway id, model and headers', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'acme/ok',
        messages: [{ role: 'user', content: 'Say hello' }],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from the fake upstream.');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.model).toBe('acme/ok');
    expect(data.id).toMatch(/^gen-/);
    expect(response.headers.get('x-agora-generation-id')).toBe(data.id);
    expect(response.headers.get('x-agora-provider')).toBe('acme');
    expect(data.usage?.prompt_tokens).toBe(12);
    expect(data.usage?.completion_tokens).toBe(6);
    expect(data.system_fingerprint).toBe('fp_fake');
  });

  it('sends the upstream its own model name, its key, and every OpenAI parameter', async () => {
    const before = upstream.requests.length;
    await client.chat.completions.create({
      model: 'acme/ok',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.3,
      top_p: 0.9,
      seed: 42,
      stop: ['END'],
      logprobs: true,
      top_logprobs: 2,
      max_tokens: 50,
      response_format: { type: 'json_object' },
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      user: 'user-1',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      logit_bias: { '50256': -100 },
      // gateway-only fields must not reach the upstream
      ...({ provider: { sort: 'price' }, models: ['acme/ok'] } as object),
    });
    const received = upstream.requests[before]!;
    expect(received.path).toBe('/v1/chat/completions');
    expect(received.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(received.body).toMatchObject({
      model: 'ok',
      temperature: 0.3,
      top_p: 0.9,
      seed: 42,
      stop: ['END'],
      logprobs: true,
      top_logprobs: 2,
      max_tokens: 50,
      response_format: { type: 'json_object' },
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      user: 'user-1',
      tool_choice: 'auto',
      parallel_tool_calls: false,
      logit_bias: { '50256': -100 },
    });
    expect((received.body.tools as unknown[]).length).toBe(1);
    expect(received.body).not.toHaveProperty('provider');
    expect(received.body).not.toHaveProperty('models');
  });

  it('streams chunk by chunk with usage, ending in stop', async () => {
    const stream = await client.chat.completions.create({
      model: 'acme/ok',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const ids = new Set<string>();
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      ids.add(chunk.id);
      expect(chunk.model).toBe('acme/ok');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from the fake upstream.');
    expect(finish).toBe('stop');
    expect(chunks).toBeGreaterThanOrEqual(8);
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^gen-/);
    expect(usage?.completion_tokens).toBe(6);
    const sent = upstream.requests[upstream.requests.length - 1]!.body;
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it('returns tool calls, plain and streamed', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const plain = await client.chat.completions.create({
      model: 'acme/tools',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
    });
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    const call = plain.choices[0]?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const runner = client.chat.completions.stream({
      model: 'acme/tools',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
    });
    const final = await runner.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(streamed.id).toBe('call_fake_1');
    expect(JSON.parse(streamed.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('lists the models that can be served, with OpenRouter fields', async () => {
    const page = await client.models.list();
    const ids = page.data.map((model) => model.id);
    expect(ids).toContain('acme/ok');
    const item = page.data.find((model) => model.id === 'acme/ok') as unknown as Record<string, any>;
    expect(item.object).toBe('model');
    expect(item.context_length).toBe(32768);
    expect(item.pricing).toMatchObject({ prompt: '0.0000005', completion: '0.0000015' });
  });

  it('records the generation with tokens, provider and app attribution, visible only to its key', async () => {
    const { data } = await gateway
      .client(apiKey, { defaultHeaders: { 'HTTP-Referer': 'https://app.example', 'X-Title': 'Example App' } })
      .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'record me' }] })
      .withResponse();
    const lookup = async (key: string): Promise<Response> =>
      fetch(`${gateway.url}/api/v1/generation?id=${data.id}`, { headers: { authorization: `Bearer ${key}` } });
    const mine = await lookup(apiKey);
    expect(mine.status).toBe(200);
    const record = ((await mine.json()) as { data: Record<string, unknown> }).data;
    expect(record).toMatchObject({
      id: data.id,
      model: 'acme/ok',
      provider_name: 'acme',
      upstream_model: 'ok',
      status: 'success',
      streamed: false,
      tokens_prompt: 12,
      tokens_completion: 6,
      native_tokens_cached: 2,
      http_referer: 'https://app.example',
      origin: 'https://app.example',
      app_title: 'Example App',
      finish_reason: 'stop',
      native_finish_reason: 'stop',
      api_type: 'completions',
      is_byok: false,
    });
    expect(record.latency).toBeTypeOf('number');
    expect(record.usage).toBe(record.total_cost); // OpenRouter's `usage` is the charge in USD
    expect(record.attempts).toEqual([expect.objectContaining({ provider: 'acme', status: 200, reason: 'ok' })]);
    expect(record.provider_responses).toEqual([
      expect.objectContaining({ provider_name: 'acme', status: 200, model_permaslug: 'acme/ok' }),
    ]);
    const other = await gateway.createKey('someone-else');
    expect((await lookup(other)).status).toBe(404);
  });

  it('ends a stream cut off mid-way with an error chunk and [DONE], never a clean stop', async () => {
    for (const model of ['acme/die-after-2', 'acme/no-finish']) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'go' }] }),
      });
      expect(response.status).toBe(200);
      const events = (await response.text()).split('\n\n').filter(Boolean);
      expect(events[events.length - 1]).toBe('data: [DONE]');
      const last = JSON.parse(events[events.length - 2]!.slice('data: '.length)) as Record<string, any>;
      expect(last.choices[0].finish_reason).toBe('error');
      expect(last.error.message).toBeTruthy();
      expect(events.some((event) => event.includes('"finish_reason":"stop"'))).toBe(false);
    }
    const stream = await client.chat.completions.create({
      model: 'acme/die-after-2',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    });
    await expect(async () => {
      for await (const chunk of stream) void chunk;
    }).rejects.toThrow();
  });

  it('fails over nothing and reports an in-band upstream error before the first byte as a 502', async () => {
    const error = await client.chat.completions
      .create({ model: 'acme/inband-error', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(502);
    expect((error as APIError).message).toContain('fake overloaded');
  });

  it('never writes the upstream key or client keys to the log', () => {
    const joined = gateway.logs.join('\n');
    expect(joined).not.toContain(UPSTREAM_KEY);
    expect(joined).not.toContain(apiKey);
  });
});
