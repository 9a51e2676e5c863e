/**
 * The Anthropic Messages surface, driven by the official `@anthropic-ai/sdk`, served by an
 * OpenAI-compatible upstream behind the gateway: text, system and multi-turn, images, tools and
 * tool results, thinking from a reasoning model, streaming events, errors in Anthropic's shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('POST /v1/messages with the Anthropic SDK', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let client: Anthropic;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, ['ok', 'tools', 'reasoning', 'die-after:2', 'status:500']) });
    apiKey = await gateway.createKey('anthropic');
    client = new Anthropic({ baseURL: gateway.url, apiKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const last = (): Record<string, any> => upstream.requests[upstream.requests.length - 1]!.body;

  it('answers a message, translating system and turns for the upstream', async () => {
    const { data, response } = await client.messages
      .create({
        model: 'acme/ok',
        max_tokens: 100,
        system: 'Be brief.',
        stop_sequences: ['END'],
        temperature: 0.5,
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'How are you?' },
        ],
      } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.content).toEqual([{ type: 'text', text: 'Hello from the fake upstream.' }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.output_tokens).toBe(6);
    expect(data.usage.input_tokens + (data.usage.cache_read_input_tokens ?? 0)).toBe(12);
    expect(data.id).toBe(response.headers.get('x-agora-generation-id'));
    expect(last()).toMatchObject({
      model: 'ok',
      max_tokens: 100,
      temperature: 0.5,
      stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'How are you?' },
      ],
    });
  });

  it('streams the full event sequence and the SDK assembles the message', async () => {
    const stream = client.messages.stream({ model: 'acme/ok', max_tokens: 100, messages: [{ role: 'user', content: 'Stream' }] });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from the fake upstream.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBe(6);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types).toContain('content_block_start');
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThanOrEqual(5);
  });

  it('sends tools, returns tool_use blocks (plain and streamed), and passes tool results back as tool messages', async () => {
    const tools: Anthropic.Tool[] = [
      { name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ];
    const plain = await client.messages.create({
      model: 'acme/tools',
      max_tokens: 100,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(plain.stop_reason).toBe('tool_use');
    expect(plain.content).toEqual([{ type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(last()).toMatchObject({
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });

    const streamed = await client.messages
      .stream({ model: 'acme/tools', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] })
      .finalMessage();
    expect(streamed.content).toEqual([{ type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { city: 'Paris' } }]);

    await client.messages.create({
      model: 'acme/ok',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fake_1', content: '21°C and sunny' }] },
      ],
    });
    expect(last().messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_fake_1', content: '21°C and sunny' },
    ]);
  });

  it('passes images on as data URLs', async () => {
    await client.messages.create({
      model: 'acme/ok',
      max_tokens: 10,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    });
    expect(last().messages[0].content).toEqual([
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'text', text: 'What is this?' },
    ]);
  });

  it("turns a reasoning model's reasoning into thinking blocks, plain and streamed, and sends thinking back as reasoning_content", async () => {
    const plain = await client.messages.create({ model: 'acme/reasoning', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    expect(plain.content).toEqual([
      { type: 'thinking', thinking: 'The user greets me; reply briefly.', signature: '' },
      { type: 'text', text: 'Hi!' },
    ]);
    const streamed = await client.messages
      .stream({ model: 'acme/reasoning', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(streamed.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    await client.messages.create({
      model: 'acme/ok',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'earlier thought', signature: 'sig' },
            { type: 'text', text: 'Hi!' },
          ],
        },
        { role: 'user', content: 'And?' },
      ],
    });
    expect(last().messages[1]).toMatchObject({ role: 'assistant', content: 'Hi!', reasoning_content: 'earlier thought' });
  });

  it("answers errors in Anthropic's shape: auth, a bad request, an upstream failure", async () => {
    const unauthorized = await new Anthropic({ baseURL: gateway.url, apiKey: 'sk-agora-wrong', maxRetries: 0 }).messages
      .create({ model: 'acme/ok', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((unauthorized as APIError).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'acme/ok', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });

    const failed = await client.messages
      .create({ model: 'acme/status-500', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect((failed as APIError).status).toBe(502);
    expect((failed as APIError).error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('ends a stream cut off mid-way with an error event, not a clean stop', async () => {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'acme/die-after-2', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = await response.text();
    expect(text.startsWith('event: message_start')).toBe(true);
    expect(text).toContain('event: error');
    expect(text).not.toContain('message_stop');
  });

  it('counts tokens', async () => {
    const counted = await client.messages.countTokens({
      model: 'acme/ok',
      messages: [{ role: 'user', content: 'Hello there, how many tokens is this?' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(5);
    expect(counted.input_tokens).toBeLessThan(30);
  });
});
