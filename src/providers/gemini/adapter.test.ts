import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secrets } from '../../lib/secrets.js';
import { DEFAULT_SUPPORTED_PARAMETERS, type ResolvedProvider } from '../../config/types.js';
import type { ChatRequest } from '../../contract/chat-request.js';
import { adapterConformance } from '../conformance.js';
import { createGeminiAdapter } from './adapter.js';
import { geminiRequest } from './request.js';

function provider(baseUrl: string): ResolvedProvider {
  return {
    id: 'google',
    type: 'gemini',
    name: 'Google',
    baseUrl,
    apiKey: 'AIzaFixtureSecretKey0123456789',
    secrets: new Secrets(['AIzaFixtureSecretKey0123456789']),
    headers: {},
    jurisdiction: 'US',
    enabled: true,
    disabledReason: undefined,
    timeouts: { connectMs: 2_000, firstByteMs: 10_000, idleMs: 10_000 },
    maxConnections: 4,
    streamUsage: true,
    dataPolicy: { retentionDays: undefined, trainsOnPrompts: undefined, zdr: undefined },
    supportedParameters: DEFAULT_SUPPORTED_PARAMETERS,
    reasoningParam: 'reasoning_effort',
  };
}

adapterConformance({
  name: 'gemini',
  fixturesDir: join(import.meta.dirname, 'fixtures'),
  createAdapter: (baseUrl) => createGeminiAdapter(provider(baseUrl)),
  toolCallsArriveWhole: true,
  expected: {
    text: {
      content: 'Hello! How can I help?',
      usage: { promptTokens: 8, completionTokens: 6, totalTokens: 14, cachedTokens: 2, reasoningTokens: 0 },
      finishReason: { unified: 'stop', raw: 'stop' },
      upstreamId: 'mKkWaOvSMYGz1MkP3P6ZmAw',
    },
    textStream: {
      content: 'Hello there',
      usage: { promptTokens: 9, completionTokens: 3, totalTokens: 12 },
      finishReason: { unified: 'stop', raw: 'stop' },
    },
    toolCallStream: {
      id: 'call_0',
      name: 'get_weather',
      arguments: { location: 'Paris, France' },
      finishReason: { unified: 'tool_calls', raw: 'tool_calls' },
    },
    reasoningStream: {
      reasoning: 'Compare 9.11 and 9.8 digit by digit.',
      content: '9.8 is greater.',
      usage: { promptTokens: 12, completionTokens: 45, reasoningTokens: 40 },
    },
    badRequestMessage: 'Invalid JSON payload received.',
  },
});

describe('gemini request translation', () => {
  it('maps roles, system, images, tools, tool results by name, sampling and JSON output', () => {
    const request: ChatRequest = {
      body: {
        model: 'google/gemini',
        max_tokens: 100,
        temperature: 0.2,
        stop: ['END'],
        seed: 3,
        response_format: { type: 'json_object' },
        tool_choice: 'required',
        user: 'u1',
        tools: [
          { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        ],
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look' },
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_0', content: 'sunny' },
        ],
      },
      models: ['google/gemini'],
      stream: false,
      maxTokens: 100,
    };
    const { body, dropped } = geminiRequest(request, provider('http://x/v1beta'));
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Look' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'sunny' } } }] },
      ],
      generationConfig: { maxOutputTokens: 100, temperature: 0.2, stopSequences: ['END'], seed: 3, responseMimeType: 'application/json' },
      tools: [
        { functionDeclarations: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
    expect(dropped).toEqual([]);
  });
});
