/**
 * Every official SDK through every upstream adapter: the `openai` SDK, the `@anthropic-ai/sdk` (on
 * /v1/messages) and the Vercel `ai` SDK (through @ai-sdk/openai-compatible), each against an
 * OpenAI-compatible, a native Anthropic and a native Gemini upstream — a whole answer, a stream and
 * a tool call each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startFakeUpstream } from '../fakes/openai-upstream.js';
import { startAnthropicFake } from '../fakes/anthropic-upstream.js';
import { startGeminiFake } from '../fakes/gemini-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const UPSTREAMS = [
  { kind: 'openai-compatible', text: 'Hello from the fake upstream.' },
  { kind: 'anthropic', text: 'Hello from Claude.' },
  { kind: 'gemini', text: 'Hello from Gemini.' },
] as const;

describe('SDK × adapter matrix', () => {
  const closers: Array<() => Promise<void>> = [];
  let gateway: TestGateway;
  let apiKey: string;

  beforeAll(async () => {
    const openai = await startFakeUpstream();
    const anthropic = await startAnthropicFake();
    const gemini = await startGeminiFake();
    closers.push(
      () => openai.close(),
      () => anthropic.close(),
      () => gemini.close(),
    );
    const urls = { 'openai-compatible': openai.url, anthropic: anthropic.url, gemini: gemini.url };
    const providers = Object.entries(urls)
      .map(([kind, url]) => `  ${kind}: { type: ${kind}, base_url: ${url}, api_key_env: ACME_TEST_KEY }`)
      .join('\n');
    const models = UPSTREAMS.flatMap(({ kind }) =>
      ['ok', 'tools'].map(
        (mode) =>
          `  m/${kind}-${mode}:\n    endpoints:\n      - { provider: ${kind}, model: ${mode}, pricing: { prompt: 1, completion: 1 } }`,
      ),
    ).join('\n');
    gateway = await startTestGateway({ yaml: `bundled_catalog: false\nproviders:\n${providers}\nmodels:\n${models}\n` });
    apiKey = await gateway.createKey('matrix');
  });
  afterAll(async () => {
    await gateway?.close();
    for (const close of closers) await close();
  });

  const weather = { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] };

  describe.each(UPSTREAMS)('$kind upstream', ({ kind, text }) => {
    it('openai SDK: answer, stream, tool call', async () => {
      const client = gateway.client(apiKey);
      const answer = await client.chat.completions.create({ model: `m/${kind}-ok`, messages: [{ role: 'user', content: 'Hi' }] });
      expect(answer.choices[0]!.message.content).toBe(text);
      const streamed = await client.chat.completions
        .stream({ model: `m/${kind}-ok`, messages: [{ role: 'user', content: 'Hi' }] })
        .finalChatCompletion();
      expect(streamed.choices[0]!.message.content).toBe(text);
      const called = await client.chat.completions.create({
        model: `m/${kind}-tools`,
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather } }],
      });
      const call = called.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect([call.function.name, JSON.parse(call.function.arguments)]).toEqual(['get_weather', { city: 'Paris' }]);
    });

    it('Anthropic SDK on /v1/messages: answer, stream, tool call', async () => {
      const client = new Anthropic({ baseURL: gateway.url, apiKey, maxRetries: 0 });
      const answer = await client.messages.create({ model: `m/${kind}-ok`, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
      expect(answer.content).toEqual([{ type: 'text', text }]);
      const streamed = await client.messages
        .stream({ model: `m/${kind}-ok`, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] })
        .finalMessage();
      expect(streamed.content).toEqual([{ type: 'text', text }]);
      const called = await client.messages.create({
        model: `m/${kind}-tools`,
        max_tokens: 50,
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [{ name: 'get_weather', input_schema: weather }],
      });
      expect(called.stop_reason).toBe('tool_use');
      expect(called.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    });

    it('ai SDK: answer, stream, tool call', async () => {
      const provider = createOpenAICompatible({ name: 'agora', baseURL: `${gateway.url}/v1`, apiKey, includeUsage: true });
      expect((await generateText({ model: provider(`m/${kind}-ok`), prompt: 'Hi', maxRetries: 0 })).text).toBe(text);
      const stream = streamText({ model: provider(`m/${kind}-ok`), prompt: 'Hi', maxRetries: 0 });
      let streamed = '';
      for await (const part of stream.textStream) streamed += part;
      expect(streamed).toBe(text);
      const called = await generateText({
        model: provider(`m/${kind}-tools`),
        prompt: 'Weather?',
        maxRetries: 0,
        tools: { get_weather: tool({ inputSchema: jsonSchema<{ city: string }>(weather as never) }) },
      });
      expect(called.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
    });
  });
});
