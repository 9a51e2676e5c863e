/** The `openai` SDK against the gateway with a native Gemini upstream behind it: text, stream, tools, thinking, embeddings. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-upstream.js';
import { startTestGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

describe('native Gemini upstream', () => {
  let fake: GeminiFake;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startGeminiFake();
    const models = ['ok', 'tools', 'thinking']
      .map(
        (mode) =>
          `  google/${mode}:\n    endpoints:\n      - { provider: gemini, model: ${mode}, pricing: { prompt: 0.3, completion: 2.5 } }`,
      )
      .join('\n');
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false\nproviders:\n  gemini: { type: gemini, base_url: ${fake.url}, api_key_env: ACME_TEST_KEY }\nmodels:\n${models}\n  google/embed:\n    kind: embedding\n    endpoints:\n      - { provider: gemini, model: text-embedding-004, pricing: { prompt: 0.1, completion: 0 } }\n`,
    });
    client = gateway.client(await gateway.createKey());
  });
  afterAll(async () => {
    await gateway?.close();
    await fake?.close();
  });

  it('answers and streams text, with the key in a header, never in the URL', async () => {
    const plain = await client.chat.completions.create({
      model: 'google/ok',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(plain.choices[0]!.message.content).toBe('Hello from Gemini.');
    expect(plain.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 4 });
    const request = fake.requests[fake.requests.length - 1]!;
    expect(request.path).toBe('/v1beta/models/ok:generateContent');
    expect(request.headers['x-goog-api-key']).toBe(UPSTREAM_KEY);
    expect(request.body).toMatchObject({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
    });
    const streamed = await client.chat.completions
      .stream({ model: 'google/ok', messages: [{ role: 'user', content: 'Hi' }] })
      .finalChatCompletion();
    expect(streamed.choices[0]!.message.content).toBe('Hello from Gemini.');
    expect(fake.requests[fake.requests.length - 1]!.path).toBe('/v1beta/models/ok:streamGenerateContent?alt=sse');
  });

  it('returns function calls as tool calls and thoughts as reasoning', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const called = await client.chat.completions.create({
      model: 'google/tools',
      tools,
      messages: [{ role: 'user', content: 'Weather?' }],
    });
    expect(called.choices[0]!.finish_reason).toBe('tool_calls');
    const call = called.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    const thinking = await client.chat.completions.create({
      model: 'google/thinking',
      messages: [{ role: 'user', content: 'x' }],
      ...({ reasoning: { effort: 'low' } } as object),
    });
    expect((thinking.choices[0]!.message as unknown as Record<string, unknown>).reasoning).toBe('Think first.');
    expect(thinking.usage?.completion_tokens_details?.reasoning_tokens).toBe(6);
    expect(fake.requests[fake.requests.length - 1]!.body.generationConfig.thinkingConfig).toEqual({
      thinkingBudget: 1024,
      includeThoughts: true,
    });
  });

  it('embeds through batchEmbedContents', async () => {
    const result = await client.embeddings.create({ model: 'google/embed', input: ['one', 'two'] });
    expect(result.data.map((item) => item.embedding)).toEqual([
      [0, 0.5, 0.25],
      [1, 0.5, 0.25],
    ]);
    expect(fake.requests[fake.requests.length - 1]!.body.requests[1]).toEqual({
      model: 'models/text-embedding-004',
      content: { parts: [{ text: 'two' }] },
    });
  });
});
