import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SUPPORTED_PARAMETERS, DEFAULT_TIMEOUTS, type ResolvedProvider } from '../../config/types.js';
import { NEVER_CANCELLED } from '../../lib/cancel.js';
import { adapterConformance } from '../conformance.js';
import { OpenAICompatibleAdapter } from './adapter.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function provider(baseUrl: string): ResolvedProvider {
  return {
    id: 'fixture', type: 'openai-compatible', name: 'Fixture', baseUrl, apiKey: 'sk-fixture-secret', headers: {}, jurisdiction: undefined,
    enabled: true, disabledReason: undefined, timeouts: DEFAULT_TIMEOUTS, maxConnections: 4, streamUsage: true,
    dataPolicy: { retentionDays: undefined, trainsOnPrompts: undefined, zdr: undefined }, supportedParameters: DEFAULT_SUPPORTED_PARAMETERS,
  };
}

adapterConformance({
  name: 'openai-compatible',
  fixturesDir: FIXTURES,
  createAdapter: (baseUrl) => new OpenAICompatibleAdapter(provider(baseUrl)),
  routes: {
    text: { file: 'text.json' },
    textStream: { file: 'text.sse' },
    toolStream: { file: 'tool-call.sse' },
    badRequest: { status: 400, file: 'error-400.json' },
    serverError: { status: 500, file: 'error-400.json' },
    rateLimited: { status: 429, file: 'error-400.json', headers: { 'retry-after': '12' } },
  },
});

describe('openai-compatible: vendor specifics', () => {
  it("reads DeepSeek's reasoning_content deltas and prompt_cache_hit_tokens, and sends the upstream its key and model name", async () => {
    let received: { authorization?: string; body?: Record<string, unknown> } = {};
    const server = createServer((incoming, response) => {
      const parts: Buffer[] = [];
      incoming.on('data', (part: Buffer) => parts.push(part));
      incoming.on('end', () => {
        received = { authorization: incoming.headers.authorization, body: JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown> };
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(readFileSync(join(FIXTURES, 'deepseek-reasoning.sse')));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const adapter = new OpenAICompatibleAdapter(provider(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`));
    const events = [];
    const request = { body: { model: 'deepseek/deepseek-r1', messages: [{ role: 'user', content: '9.11 or 9.8?' }], provider: { sort: 'price' } }, models: ['deepseek/deepseek-r1'], stream: true, maxTokens: undefined };
    for await (const event of adapter.chatStream({ request, upstreamModel: 'deepseek-reasoner', signal: NEVER_CANCELLED })) events.push(event);
    await adapter.close();
    server.close();
    expect(received.authorization).toBe('Bearer sk-fixture-secret');
    expect(received.body).toMatchObject({ model: 'deepseek-reasoner', stream: true, stream_options: { include_usage: true } });
    expect(received.body).not.toHaveProperty('provider');
    const reasoning = events.map((event) => event.chunk.choices[0]?.delta.reasoning_content ?? '').join('');
    expect(reasoning).toBe('9.11 vs 9.8: compare tenths.');
    expect(events.filter((event) => event.hasOutput)).toHaveLength(2);
    const usage = events.find((event) => event.usage)!.usage!;
    expect(usage).toMatchObject({ promptTokens: 20, completionTokens: 62, cachedTokens: 16, reasoningTokens: 52 });
  });
});
