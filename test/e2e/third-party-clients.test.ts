/**
 * Third-party clients against the gateway, changed only in their base URL and key: the Vercel `ai`
 * SDK with OpenRouter's own provider (`@openrouter/ai-sdk-provider`) on `/api/v1`, LangChain's
 * `ChatOpenAI` on `/v1` and its `ChatAnthropic` on `/v1/messages`. Every call is checked to reach
 * the scripted upstream (what the upstream received), and the values the fake sends (text, tool
 * call, reasoning, token counts) to come back through the client; where a client exposes the
 * generation id, the gateway's record of it is read back too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { createOpenRouter, type OpenRouterProvider } from '@openrouter/ai-sdk-provider';
import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import type { AIMessageChunk } from '@langchain/core/messages';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const HELLO = 'Hello from the fake upstream.';
const WORDS = ['Hello', ' from', ' the', ' fake', ' upstream', '.'];
const THOUGHT = 'The user greets me; reply briefly.';
/** The fake's usage (12 prompt tokens, 6 completion) at fakeConfig's 0.5 / 1.5 USD per 1M tokens. */
const HELLO_COST = (12 * 0.5 + 6 * 1.5) / 1e6;
const WEATHER_SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } as const;

describe('third-party clients against the gateway', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, ['ok', 'tools', 'reasoning']) });
    apiKey = await gateway.createKey('third-party');
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  /** Runs `call`, returning its result and the bodies of the upstream requests it caused. */
  async function forwarded<T>(call: () => Promise<T>): Promise<{ result: T; sent: Array<Record<string, any>> }> {
    const before = upstream.requests.length;
    const result = await call();
    return { result, sent: upstream.requests.slice(before).map((request) => request.body) };
  }

  /** The gateway's record of a generation, read with the key that made it. */
  async function record(id: string): Promise<Record<string, any>> {
    const response = await fetch(`${gateway.url}/api/v1/generation?id=${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: Record<string, any> }).data;
  }

  /** Streams a LangChain model: the text of each chunk and the chunks merged. */
  async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<{ pieces: string[]; message: AIMessageChunk }> {
    const pieces: string[] = [];
    let message: AIMessageChunk | undefined;
    for await (const chunk of stream) {
      pieces.push(typeof chunk.content === 'string' ? chunk.content : '');
      message = message ? message.concat(chunk) : chunk;
    }
    expect(message).toBeDefined();
    return { pieces: pieces.filter((piece) => piece !== ''), message: message! };
  }

  describe('Vercel ai SDK with @openrouter/ai-sdk-provider (/api/v1)', () => {
    let openrouter: OpenRouterProvider;
    const weather = {
      get_weather: tool({ description: 'Weather by city', inputSchema: jsonSchema<{ city: string }>(WEATHER_SCHEMA) }),
    };

    beforeAll(() => {
      openrouter = createOpenRouter({ baseURL: `${gateway.url}/api/v1`, apiKey, compatibility: 'strict' });
    });

    it('generateText: the text, usage and cost, and the generation recorded', async () => {
      const { result, sent } = await forwarded(() =>
        generateText({ model: openrouter.chat('acme/ok'), prompt: 'Say hello', maxRetries: 0 }),
      );
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'ok', stream: false, messages: [{ role: 'user', content: 'Say hello' }] });
      expect(result.text).toBe(HELLO);
      expect(result.finishReason).toBe('stop');
      expect(result.usage).toMatchObject({ inputTokens: 12, outputTokens: 6, totalTokens: 18, cachedInputTokens: 2, reasoningTokens: 0 });
      const usage = result.providerMetadata?.openrouter?.usage as Record<string, any>;
      expect(usage).toMatchObject({ promptTokens: 12, completionTokens: 6, totalTokens: 18 });
      expect(usage.cost).toBeCloseTo(HELLO_COST, 12);
      expect(result.providerMetadata?.openrouter?.provider).toBe('acme');

      expect(result.response.id).toMatch(/^gen-/);
      expect(result.response.headers?.['x-agora-generation-id']).toBe(result.response.id);
      expect(await record(result.response.id)).toMatchObject({
        id: result.response.id,
        model: 'acme/ok',
        streamed: false,
        tokens_prompt: 12,
        tokens_completion: 6,
        finish_reason: 'stop',
      });
    });

    it('streamText: the text assembled from the streamed pieces, with usage', async () => {
      const { result, sent } = await forwarded(async () => {
        const stream = streamText({ model: openrouter.chat('acme/ok'), prompt: 'Say hello', maxRetries: 0 });
        const pieces: string[] = [];
        for await (const piece of stream.textStream) pieces.push(piece);
        return { pieces, usage: await stream.usage, finishReason: await stream.finishReason, response: await stream.response };
      });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'ok', stream: true, stream_options: { include_usage: true } });
      expect(result.pieces.join('')).toBe(HELLO);
      expect(result.pieces.length).toBeGreaterThan(1);
      expect(result.finishReason).toBe('stop');
      expect(result.usage).toMatchObject({ inputTokens: 12, outputTokens: 6, totalTokens: 18 });
      expect(await record(result.response.id)).toMatchObject({ streamed: true, tokens_prompt: 12, tokens_completion: 6 });
    });

    it('a tool call, plain and streamed', async () => {
      const { result, sent } = await forwarded(() =>
        generateText({ model: openrouter.chat('acme/tools'), prompt: 'Weather in Paris?', maxRetries: 0, tools: weather }),
      );
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        model: 'tools',
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: WEATHER_SCHEMA } }],
      });
      expect(result.finishReason).toBe('tool-calls');
      expect(result.toolCalls).toHaveLength(1);
      expect(result.toolCalls[0]).toMatchObject({ toolCallId: 'call_fake_1', toolName: 'get_weather', input: { city: 'Paris' } });

      const streamed = streamText({ model: openrouter.chat('acme/tools'), prompt: 'Weather in Paris?', maxRetries: 0, tools: weather });
      const calls = await streamed.toolCalls;
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ toolCallId: 'call_fake_1', toolName: 'get_weather', input: { city: 'Paris' } });
      expect(await streamed.finishReason).toBe('tool-calls');
      expect((await streamed.usage).outputTokens).toBe(9);
    });

    it('reasoning: the effort passed on, the reasoning text returned, plain and streamed', async () => {
      const model = openrouter.chat('acme/reasoning', { reasoning: { effort: 'low' } });
      const { result, sent } = await forwarded(() => generateText({ model, prompt: 'Hi', maxRetries: 0 }));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'reasoning', reasoning_effort: 'low' });
      expect(result.text).toBe('Hi!');
      expect(result.reasoningText).toBe(THOUGHT);
      expect(result.providerMetadata?.openrouter?.reasoning_details).toEqual([
        { type: 'reasoning.text', text: THOUGHT, format: 'unknown', index: 0 },
      ]);

      const streamed = streamText({ model, prompt: 'Hi', maxRetries: 0 });
      let text = '';
      for await (const piece of streamed.textStream) text += piece;
      expect(text).toBe('Hi!');
      expect(await streamed.reasoningText).toBe(THOUGHT);
      expect((await streamed.usage).outputTokens).toBe(9);
    });
  });

  describe('LangChain ChatOpenAI (@langchain/openai, /v1)', () => {
    const chat = (model: string): ChatOpenAI =>
      new ChatOpenAI({ model, apiKey, configuration: { baseURL: `${gateway.url}/v1` }, maxRetries: 0 });

    it('invoke: the text and usage_metadata', async () => {
      const { result, sent } = await forwarded(() => chat('acme/ok').invoke('Say hello'));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'ok', stream: false, messages: [{ role: 'user', content: 'Say hello' }] });
      expect(result.content).toBe(HELLO);
      expect(result.response_metadata.finish_reason).toBe('stop');
      expect(result.usage_metadata).toMatchObject({
        input_tokens: 12,
        output_tokens: 6,
        total_tokens: 18,
        input_token_details: { cache_read: 2 },
      });
      expect(result.id).toMatch(/^gen-/);
      expect(await record(result.id!)).toMatchObject({ model: 'acme/ok', tokens_prompt: 12, tokens_completion: 6 });
    });

    it('stream: the text arrives in pieces, then the usage', async () => {
      const { result, sent } = await forwarded(async () => collect(await chat('acme/ok').stream('Say hello')));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'ok', stream: true, stream_options: { include_usage: true } });
      expect(result.pieces).toEqual(WORDS);
      expect(result.message.content).toBe(HELLO);
      expect(result.message.response_metadata.finish_reason).toBe('stop');
      expect(result.message.usage_metadata).toMatchObject({ input_tokens: 12, output_tokens: 6, total_tokens: 18 });
      expect(await record(result.message.id!)).toMatchObject({ streamed: true, tokens_prompt: 12, tokens_completion: 6 });
    });

    it('bindTools: the tool sent, the tool call parsed, plain and streamed', async () => {
      const bound = chat('acme/tools').bindTools([
        { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: WEATHER_SCHEMA } },
      ]);
      const { result, sent } = await forwarded(() => bound.invoke('Weather in Paris?'));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        model: 'tools',
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_SCHEMA } }],
      });
      expect(result.response_metadata.finish_reason).toBe('tool_calls');
      expect(result.tool_calls).toEqual([{ type: 'tool_call', id: 'call_fake_1', name: 'get_weather', args: { city: 'Paris' } }]);

      const streamed = await collect(await bound.stream('Weather in Paris?'));
      expect(streamed.message.tool_calls).toEqual([{ type: 'tool_call', id: 'call_fake_1', name: 'get_weather', args: { city: 'Paris' } }]);
      expect(streamed.message.usage_metadata).toMatchObject({ input_tokens: 12, output_tokens: 9 });
    });
  });

  describe('LangChain ChatAnthropic (@langchain/anthropic, /v1/messages)', () => {
    const chat = (): ChatAnthropic =>
      new ChatAnthropic({ model: 'acme/ok', apiKey, anthropicApiUrl: gateway.url, maxTokens: 100, maxRetries: 0 });

    it('invoke: the text and usage_metadata', async () => {
      const { result, sent } = await forwarded(() => chat().invoke('Say hello'));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'ok', max_tokens: 100, stream: false, messages: [{ role: 'user', content: 'Say hello' }] });
      expect(result.content).toBe(HELLO);
      expect(result.response_metadata.stop_reason).toBe('end_turn');
      expect(result.usage_metadata).toMatchObject({
        input_tokens: 12,
        output_tokens: 6,
        total_tokens: 18,
        input_token_details: { cache_read: 2, cache_creation: 0 },
      });
      expect(result.id).toMatch(/^gen-/);
      expect(await record(result.id!)).toMatchObject({ model: 'acme/ok', tokens_prompt: 12, tokens_completion: 6 });
    });

    it('stream: the text arrives in pieces, with the output usage', async () => {
      const { result, sent } = await forwarded(async () => collect(await chat().stream('Say hello')));
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ model: 'ok', max_tokens: 100, stream: true });
      expect(result.pieces).toEqual(WORDS);
      expect(result.message.content).toBe(HELLO);
      expect(result.message.additional_kwargs.stop_reason).toBe('end_turn');
      expect(result.message.usage_metadata?.output_tokens).toBe(6);
      // ChatAnthropic takes input_tokens from message_start only. Over an OpenAI-compatible upstream
      // the gateway knows the prompt's size there only as an estimate (the real count arrives in
      // message_delta, which the Anthropic SDK reads but LangChain does not), so only its presence
      // is checked here; the gateway's record has the upstream's count.
      expect(result.message.usage_metadata?.input_tokens).toBeGreaterThan(0);
      expect(await record(result.message.id!)).toMatchObject({ streamed: true, tokens_prompt: 12, tokens_completion: 6 });
    });
  });
});
