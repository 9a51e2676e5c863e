import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedProvider } from '../../config/types.js';
import { NEVER_CANCELLED } from '../../lib/cancel.js';
import { Secrets } from '../../lib/secrets.js';
import type { ChatEvent } from '../../contract/chat-event.js';
import type { ChatRequest } from '../../contract/chat-request.js';
import { AgoraError } from '../../contract/errors.js';
import { adapterConformance } from '../conformance.js';
import { createOpenAICompatibleAdapter } from './adapter.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const API_KEY = 'sk-fixture-0123456789abcdef-secret';

/** A provider as config/load.ts resolves it, written out literally. */
function provider(baseUrl: string, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return {
    id: 'fixture',
    type: 'openai-compatible',
    name: 'Fixture',
    baseUrl,
    apiKey: API_KEY,
    secrets: new Secrets([API_KEY]),
    headers: { 'X-Title': 'Agora tests' },
    jurisdiction: 'US',
    enabled: true,
    disabledReason: undefined,
    timeouts: { connectMs: 2_000, firstByteMs: 10_000, idleMs: 10_000 },
    maxConnections: 4,
    reasoningParam: 'reasoning_effort',
    streamUsage: true,
    dataPolicy: { retentionDays: undefined, trainsOnPrompts: undefined, zdr: undefined },
    supportedParameters: ['temperature', 'max_tokens', 'tools'],
    ...overrides,
  };
}

adapterConformance({
  name: 'openai-compatible',
  fixturesDir: FIXTURES,
  createAdapter: (baseUrl) => createOpenAICompatibleAdapter(provider(baseUrl)),
  fixtures: { reasoningStream: 'deepseek-reasoning.sse' },
  expected: {
    text: {
      content: 'Hello! How can I assist you today?',
      usage: { promptTokens: 19, completionTokens: 10, totalTokens: 29, cachedTokens: 0, reasoningTokens: 0 },
      finishReason: { unified: 'stop', raw: 'stop' },
      upstreamId: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    },
    textStream: {
      content: 'Hello there! 👋',
      usage: { promptTokens: 9, completionTokens: 5, totalTokens: 14, cachedTokens: 0, reasoningTokens: 0 },
      finishReason: { unified: 'stop', raw: 'stop' },
    },
    toolCallStream: {
      id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
      name: 'get_weather',
      arguments: { location: 'Paris, France' },
      finishReason: { unified: 'tool_calls', raw: 'tool_calls' },
    },
    reasoningStream: {
      reasoning: '9.11 vs 9.8: compare tenths.',
      content: '9.8 is greater.',
      usage: { promptTokens: 20, completionTokens: 62, totalTokens: 82, reasoningTokens: 52 },
    },
    badRequestMessage: "Invalid value for 'temperature': expected a number between 0 and 2.",
  },
});

// ---- vendor specifics ------------------------------------------------------------------------

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

type Answer = { status: number; contentType: string; body: string | Buffer; headers?: Record<string, string> };

/** Starts a loopback upstream that records each request and gives `answer`; runs `test`, then closes it. */
async function withUpstream(
  answer: (received: Received) => Answer,
  test: (baseUrl: string, received: Received[]) => Promise<void>,
): Promise<void> {
  const received: Received[] = [];
  const server = createServer((incoming, response) => {
    const parts: Buffer[] = [];
    incoming.on('data', (part: Buffer) => parts.push(part));
    incoming.on('end', () => {
      const request = {
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>,
      };
      received.push(request);
      const reply = answer(request);
      response.writeHead(reply.status, { 'content-type': reply.contentType, ...reply.headers }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, received);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const fixture = (name: string): Answer => ({
  status: 200,
  contentType: name.endsWith('.sse') ? 'text/event-stream' : 'application/json',
  body: readFileSync(join(FIXTURES, name)),
});

function chatRequest(stream: boolean, extra: Record<string, unknown> = {}): ChatRequest {
  return {
    body: { model: 'deepseek/deepseek-r1', messages: [{ role: 'user', content: '9.11 or 9.8?' }], stream, ...extra },
    models: ['deepseek/deepseek-r1'],
    stream,
    maxTokens: undefined,
  };
}

async function drain(stream: AsyncIterable<ChatEvent>): Promise<{ events: ChatEvent[]; error: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

describe('openai-compatible: vendor specifics', () => {
  it('sends the key, the headers, the upstream model name and include_usage, and none of the gateway fields', async () => {
    await withUpstream(
      () => fixture('deepseek-reasoning.sse'),
      async (baseUrl, received) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const request = chatRequest(true, { provider: { sort: 'price' }, models: ['a/b'], temperature: 0.2 });
        await drain(adapter.chatStream({ request, upstreamModel: 'deepseek-reasoner', signal: NEVER_CANCELLED }));
        await adapter.close();
        expect(received).toHaveLength(1);
        expect(received[0]!.url).toBe('/v1/chat/completions');
        expect(received[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
        expect(received[0]!.headers['x-title']).toBe('Agora tests');
        expect(received[0]!.body).toEqual({
          model: 'deepseek-reasoner',
          messages: [{ role: 'user', content: '9.11 or 9.8?' }],
          stream: true,
          temperature: 0.2,
          stream_options: { include_usage: true },
        });
      },
    );
  });

  it('does not ask for stream usage from a provider configured without it', async () => {
    await withUpstream(
      () => fixture('vllm-text.sse'),
      async (baseUrl, received) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl, { streamUsage: false }));
        await drain(adapter.chatStream({ request: chatRequest(true), upstreamModel: 'm', signal: NEVER_CANCELLED }));
        await adapter.close();
        expect(received[0]!.body).not.toHaveProperty('stream_options');
      },
    );
  });

  it('DeepSeek: streamed reasoning_content, and cachedTokens from prompt_cache_hit_tokens', async () => {
    await withUpstream(
      () => fixture('deepseek-reasoning.sse'),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const { events, error } = await drain(
          adapter.chatStream({ request: chatRequest(true), upstreamModel: 'deepseek-reasoner', signal: NEVER_CANCELLED }),
        );
        await adapter.close();
        expect(error).toBeUndefined();
        // DeepSeek sends usage on the same chunk as the finish reason (deepseek-reasoning.sse, last event).
        const last = events.at(-1)!;
        expect(last.finishReason).toEqual({ unified: 'stop', raw: 'stop' });
        expect(last.usage).toMatchObject({
          promptTokens: 20,
          completionTokens: 62,
          cachedTokens: 16,
          reasoningTokens: 52,
          cacheWriteTokens: undefined,
        });
        expect((last.usage!.raw as Record<string, unknown>).prompt_cache_miss_tokens).toBe(4);
        // Reasoning-only chunks count as output; the role-only first chunk does not.
        expect(events.map((event) => event.hasOutput)).toEqual([false, true, true, true, true, true, false]);
      },
    );
  });

  it('DeepSeek: a whole answer lifts cachedTokens from prompt_cache_hit_tokens and leaves unknown counters undefined', async () => {
    await withUpstream(
      () => fixture('deepseek-chat.json'),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const result = await adapter.chat({ request: chatRequest(false), upstreamModel: 'deepseek-chat', signal: NEVER_CANCELLED });
        await adapter.close();
        expect(result.usage).toMatchObject({ promptTokens: 1203, completionTokens: 9, totalTokens: 1212, cachedTokens: 1152 });
        expect(result.usage?.reasoningTokens).toBeUndefined();
        expect(result.usage?.cacheWriteTokens).toBeUndefined();
        expect(result.upstreamId).toBe('930c60df-bf64-41c9-a88e-3ec75f81e00e');
      },
    );
  });

  it('vLLM: finish reason "length" on a content chunk, vLLM fields passed through, null prompt_tokens_details is unknown', async () => {
    await withUpstream(
      () => fixture('vllm-text.sse'),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const { events, error } = await drain(
          adapter.chatStream({ request: chatRequest(true), upstreamModel: 'meta-llama/Llama-3.3-70B-Instruct', signal: NEVER_CANCELLED }),
        );
        await adapter.close();
        expect(error).toBeUndefined();
        const finishing = events.filter((event) => event.finishReason);
        expect(finishing).toHaveLength(1);
        expect(finishing[0]!.finishReason).toEqual({ unified: 'length', raw: 'length' });
        expect(finishing[0]!.hasOutput).toBe(true); // the last words arrive on the finishing chunk
        expect(finishing[0]!.chunk.choices[0]).toHaveProperty('stop_reason', null);
        const usage = events.find((event) => event.usage)!.usage!;
        expect(usage).toMatchObject({ promptTokens: 15, completionTokens: 4, totalTokens: 19 });
        expect(usage.cachedTokens).toBeUndefined();
      },
    );
  });

  it("vLLM: a 400 in vLLM's top-level error shape keeps the upstream message", async () => {
    await withUpstream(
      () => ({ ...fixture('vllm-error-400.json'), status: 400 }),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const error = await adapter
          .chat({ request: chatRequest(false), upstreamModel: 'm', signal: NEVER_CANCELLED })
          .catch((caught: unknown) => caught);
        await adapter.close();
        expect(error).toBeInstanceOf(AgoraError);
        expect(error).toMatchObject({ status: 400, retryable: false });
        expect((error as Error).message).toContain("This model's maximum context length is 4096 tokens");
      },
    );
  });

  it('an error event inside a 200 stream is thrown after the events before it', async () => {
    await withUpstream(
      () => fixture('stream-error.sse'),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const { events, error } = await drain(
          adapter.chatStream({ request: chatRequest(true), upstreamModel: 'm', signal: NEVER_CANCELLED }),
        );
        await adapter.close();
        expect(events.map((event) => event.chunk.choices[0]?.delta.content)).toEqual(['Partial']);
        expect(error).toBeInstanceOf(AgoraError);
        expect((error as AgoraError).status).toBe(502);
        expect((error as Error).message).toContain('Provider disconnected unexpectedly');
      },
    );
  });

  it('an upstream that ignores stream: true and answers JSON is replayed as one finished event', async () => {
    await withUpstream(
      () => fixture('text.json'),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const { events, error } = await drain(
          adapter.chatStream({ request: chatRequest(true), upstreamModel: 'm', signal: NEVER_CANCELLED }),
        );
        await adapter.close();
        expect(error).toBeUndefined();
        expect(events).toHaveLength(1);
        expect(events[0]!.chunk.object).toBe('chat.completion.chunk');
        expect(events[0]!.chunk.choices[0]?.delta.content).toBe('Hello! How can I assist you today?');
        expect(events[0]).toMatchObject({
          hasOutput: true,
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: { promptTokens: 19, completionTokens: 10 },
        });
      },
    );
  });

  it("a 404 for an unknown model (Ollama's string error) is a retryable 502: another endpoint may have it", async () => {
    const body = '{"error":"model \\"llama9\\" not found, try pulling it first"}';
    await withUpstream(
      () => ({ status: 404, contentType: 'application/json', body }),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const error = await adapter
          .chat({ request: chatRequest(false), upstreamModel: 'llama9', signal: NEVER_CANCELLED })
          .catch((caught: unknown) => caught);
        await adapter.close();
        expect(error).toMatchObject({ status: 502, retryable: true });
        expect((error as Error).message).toContain('model "llama9" not found');
      },
    );
  });

  it('never repeats the API key when an upstream echoes it in an error', async () => {
    await withUpstream(
      (received) => ({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({
          error: {
            message: `Invalid API key: ${String(received.headers.authorization).slice('Bearer '.length)}`,
            type: 'invalid_request_error',
          },
        }),
      }),
      async (baseUrl) => {
        const adapter = createOpenAICompatibleAdapter(provider(baseUrl));
        const whole = await adapter
          .chat({ request: chatRequest(false), upstreamModel: 'm', signal: NEVER_CANCELLED })
          .catch((caught: unknown) => caught);
        const streamed = (await drain(adapter.chatStream({ request: chatRequest(true), upstreamModel: 'm', signal: NEVER_CANCELLED })))
          .error;
        await adapter.close();
        for (const error of [whole, streamed]) {
          expect(error).toBeInstanceOf(AgoraError);
          expect((error as Error).message).toContain('Invalid API key');
          expect((error as Error).message).not.toContain(API_KEY);
          expect(JSON.stringify((error as AgoraError).metadata)).not.toContain(API_KEY);
        }
      },
    );
  });
});
