import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secrets } from '../../lib/secrets.js';
import { DEFAULT_SUPPORTED_PARAMETERS, type ResolvedProvider } from '../../config/types.js';
import { parseChatRequest, type ChatRequest } from '../../contract/chat-request.js';
import { AgoraError } from '../../contract/errors.js';
import { adapterConformance } from '../conformance.js';
import { createAnthropicAdapter } from './adapter.js';
import { anthropicRequest } from './request.js';

function provider(baseUrl: string): ResolvedProvider {
  return {
    id: 'anthropic',
    type: 'anthropic',
    name: 'Anthropic',
    baseUrl,
    apiKey: 'sk-ant-fixture-secret',
    secrets: new Secrets(['sk-ant-fixture-secret']),
    headers: {},
    jurisdiction: 'US',
    enabled: true,
    disabledReason: undefined,
    timeouts: { connectMs: 2_000, firstByteMs: 10_000, idleMs: 10_000 },
    maxConnections: 4,
    streamUsage: true,
    dataPolicy: { retentionDays: undefined, trainsOnPrompts: false, zdr: undefined },
    supportedParameters: DEFAULT_SUPPORTED_PARAMETERS,
    reasoningParam: 'reasoning_effort',
  };
}

adapterConformance({
  name: 'anthropic',
  fixturesDir: join(import.meta.dirname, 'fixtures'),
  createAdapter: (baseUrl) => createAnthropicAdapter(provider(baseUrl)),
  expected: {
    text: {
      content: 'Hello! How can I help you today?',
      usage: { promptTokens: 16, completionTokens: 10, totalTokens: 26, cachedTokens: 4 },
      finishReason: { unified: 'stop', raw: 'stop' },
      upstreamId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    },
    textStream: {
      content: 'Hello!',
      usage: { promptTokens: 25, completionTokens: 15, totalTokens: 40 },
      finishReason: { unified: 'stop', raw: 'end_turn' },
    },
    toolCallStream: {
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      name: 'get_weather',
      arguments: { location: 'San Francisco, CA' },
      finishReason: { unified: 'tool_calls', raw: 'tool_use' },
    },
    reasoningStream: { reasoning: '27 * 453 = 12,231', content: '27 * 453 = 12,231', usage: { promptTokens: 30, completionTokens: 120 } },
    badRequestMessage: 'max_tokens: Field required',
  },
});

/** A client body as the gateway validates it (parseChatRequest is the only way into the canonical request). */
const request = (body: Record<string, unknown>): ChatRequest => parseChatRequest({ model: 'x', ...body });

describe('anthropic request translation', () => {
  it('maps system, turns, tool calls and results, images and tool choice; merges same-role turns', () => {
    const { body, dropped } = anthropicRequest(
      request({
        model: 'anthropic/claude',
        max_tokens: 200,
        temperature: 0.3,
        stop: 'END',
        seed: 7,
        tool_choice: 'required',
        parallel_tool_calls: false,
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
            },
          },
        ],
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '21°C' },
          { role: 'user', content: 'Thanks' },
        ],
      }),
      'claude-sonnet-4-20250514',
      provider('http://x/v1'),
      false,
      undefined,
    );
    expect(body).toEqual({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 200,
      system: 'Be brief.',
      temperature: 0.3,
      stop_sequences: ['END'],
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '21°C' },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
    expect(dropped).toEqual(['seed']);
  });

  it('maps reasoning to a thinking budget and refuses what Anthropic cannot do', () => {
    const { body } = anthropicRequest(
      request({ model: 'x', max_tokens: 8_000, messages: [{ role: 'user', content: 'x' }], reasoning: { max_tokens: 4_000 } }),
      'm',
      provider('http://x/v1'),
      false,
      undefined,
    );
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 4_000 });
    for (const bad of [{ logprobs: true }, { n: 2 }, { temperature: 1.5 }]) {
      expect(() =>
        anthropicRequest(
          request({ model: 'x', messages: [{ role: 'user', content: 'x' }], ...bad }),
          'm',
          provider('http://x/v1'),
          false,
          undefined,
        ),
      ).toThrow(AgoraError);
    }
  });
});
