/** The Vercel `ai` SDK through `@ai-sdk/openai-compatible` against the gateway: text, streaming, tool calls. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('Vercel AI SDK', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let provider: ReturnType<typeof createOpenAICompatible>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, ['ok', 'tools']) });
    provider = createOpenAICompatible({
      name: 'agora',
      baseURL: `${gateway.url}/v1`,
      apiKey: await gateway.createKey('ai-sdk'),
      includeUsage: true,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('generates text with usage', async () => {
    const result = await generateText({ model: provider('acme/ok'), prompt: 'Say hello', maxRetries: 0 });
    expect(result.text).toBe('Hello from the fake upstream.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.outputTokens).toBe(6);
  });

  it('streams text', async () => {
    const result = streamText({ model: provider('acme/ok'), prompt: 'Say hello', maxRetries: 0 });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe('Hello from the fake upstream.');
    expect((await result.usage).outputTokens).toBe(6);
  });

  it('calls tools', async () => {
    const result = await generateText({
      model: provider('acme/tools'),
      prompt: 'Weather in Paris?',
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: 'Weather by city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
        }),
      },
    });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
  });
});
