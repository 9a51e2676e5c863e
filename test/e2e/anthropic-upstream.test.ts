/**
 * The `openai` SDK against the gateway with a native Anthropic upstream behind it: text, streaming,
 * tool calls, thinking as reasoning, cached tokens, errors, and the Anthropic SDK on /v1/messages
 * over the same upstream (Anthropic in, Anthropic out, through the canonical shape).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startAnthropicFake, type AnthropicFake } from '../fakes/anthropic-upstream.js';
import { startTestGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

describe('native Anthropic upstream', () => {
  let fake: AnthropicFake;
  let gateway: TestGateway;
  let client: OpenAI;
  let apiKey: string;

  beforeAll(async () => {
    fake = await startAnthropicFake();
    const models = ['ok', 'tools', 'thinking', 'overloaded', 'error-event', 'strict-thinking']
      .map(
        (mode) =>
          `  anthropic/${mode}:\n    endpoints:\n      - { provider: claude, model: ${mode}, pricing: { prompt: 3, completion: 15, cache_read: 0.3 }, max_output: 64000 }`,
      )
      .join('\n');
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false\nproviders:\n  claude: { type: anthropic, base_url: ${fake.url}, api_key_env: ACME_TEST_KEY }\nmodels:\n${models}\n`,
    });
    apiKey = await gateway.createKey();
    client = gateway.client(apiKey);
  });
  afterAll(async () => {
    await gateway?.close();
    await fake?.close();
  });

  const last = (): Record<string, any> => fake.requests[fake.requests.length - 1]!;

  it('answers in OpenAI shape, with the Anthropic key and version sent upstream and cached tokens counted', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'anthropic/ok',
        max_tokens: 50,
        seed: 1,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Hello from Claude.');
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 25, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 5 } });
    expect(response.headers.get('x-agora-dropped-parameters')).toBe('seed');
    expect(last().headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(last().headers['anthropic-version']).toBe('2023-06-01');
    expect(last().body).toMatchObject({
      model: 'ok',
      max_tokens: 50,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
  });

  it('streams text, tool calls and thinking as OpenAI chunks', async () => {
    const text = await client.chat.completions
      .stream({ model: 'anthropic/ok', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] })
      .finalChatCompletion();
    expect(text.choices[0]!.message.content).toBe('Hello from Claude.');
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const called = await client.chat.completions
      .stream({ model: 'anthropic/tools', max_tokens: 50, tools, messages: [{ role: 'user', content: 'Weather?' }] })
      .finalChatCompletion();
    const call = called.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ id: 'toolu_fake_1', function: { name: 'get_weather' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(called.choices[0]!.finish_reason).toBe('tool_calls');
    const stream = await client.chat.completions.create({
      model: 'anthropic/thinking',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content: '2+2?' }],
    });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      reasoning += (chunk.choices[0]?.delta as Record<string, any> | undefined)?.reasoning ?? '';
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(reasoning).toBe('Two plus two is four.');
    expect(content).toBe('Hello from Claude.');
  });

  it('sends thinking back with its signature on the next turn', async () => {
    const first = await client.chat.completions.create({
      model: 'anthropic/thinking',
      max_tokens: 50,
      messages: [{ role: 'user', content: '2+2?' }],
    });
    const assistant = first.choices[0]!.message as unknown as Record<string, unknown>;
    expect(assistant.reasoning_details).toEqual([
      expect.objectContaining({ type: 'reasoning.text', text: 'Two plus two is four.', signature: 'sig-abc' }),
    ]);
    await client.chat.completions.create({
      model: 'anthropic/ok',
      max_tokens: 50,
      messages: [
        { role: 'user', content: '2+2?' },
        assistant as unknown as OpenAI.ChatCompletionMessageParam,
        { role: 'user', content: 'And 3+3?' },
      ],
    });
    expect(last().body.messages[1].content[0]).toEqual({ type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-abc' });
  });

  it('maps an overloaded upstream (529) to 503 and a mid-stream error event to an error chunk', async () => {
    const overloaded = (await client.chat.completions
      .create({ model: 'anthropic/overloaded', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error)) as APIError;
    expect(overloaded.status).toBe(503);
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'anthropic/error-event', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const events = (await response.text()).trim().split('\n\n');
    expect(events[events.length - 1]).toBe('data: [DONE]');
    expect(JSON.parse(events[events.length - 2]!.slice(6)).choices[0].finish_reason).toBe('error');
  });

  it('serves the Anthropic SDK on /v1/messages from the Anthropic upstream', async () => {
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'anthropic/thinking',
      max_tokens: 50,
      messages: [{ role: 'user', content: '2+2?' }],
    });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-abc' },
      { type: 'text', text: 'Hello from Claude.' },
    ]);
    expect(message.usage).toMatchObject({ input_tokens: 20, cache_read_input_tokens: 5, output_tokens: 7 });
  });

  const weatherTool = {
    name: 'get_weather',
    description: 'Weather of a city',
    input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
  };

  /**
   * Extended thinking with tools, three turns, against an upstream that (like Anthropic) refuses a
   * tool-use turn whose thinking blocks do not come back with their signatures and redacted data intact.
   */
  for (const streamed of [false, true]) {
    it(`an Anthropic client keeps its thinking signatures across a multi-turn conversation with tools (${streamed ? 'streamed' : 'plain'})`, async () => {
      const anthropic = new Anthropic({ baseURL: gateway.url, apiKey, maxRetries: 0 });
      const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris, then in Rome?' }];
      for (let turn = 0; turn < 3; turn++) {
        const request = {
          model: 'anthropic/strict-thinking',
          max_tokens: 4096,
          thinking: { type: 'enabled' as const, budget_tokens: 2048 },
          tools: [weatherTool],
          messages: history,
        };
        const message = streamed ? await anthropic.messages.stream(request).finalMessage() : await anthropic.messages.create(request);
        const kinds = message.content.map((block) => block.type);
        expect(kinds).toEqual(['thinking', 'redacted_thinking', 'tool_use']);
        const thinking = message.content[0] as Anthropic.ThinkingBlock;
        expect(thinking.signature).toMatch(/^EqQBCkYIARgCKkD/);
        expect((message.content[1] as Anthropic.RedactedThinkingBlock).data).toMatch(/^EmwKAhgBEgy/);
        const toolUse = message.content[2] as Anthropic.ToolUseBlock;
        history.push(
          { role: 'assistant', content: message.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '18°C' }] },
        );
      }
      // The upstream saw every earlier thinking block back, byte for byte.
      const sent = last().body.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
      const assistantTurns = sent.filter((message) => message.role === 'assistant');
      expect(assistantTurns).toHaveLength(2);
      for (const turn of assistantTurns)
        expect(turn.content.map((block) => block.type)).toEqual(['thinking', 'redacted_thinking', 'tool_use']);
    });
  }

  it('an OpenAI client sending reasoning_details back (as streamed fragments) keeps Anthropic thinking valid', async () => {
    const history: Array<Record<string, unknown>> = [{ role: 'user', content: 'Weather in Paris?' }];
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    for (let turn = 0; turn < 2; turn++) {
      const stream = await client.chat.completions.create({
        model: 'anthropic/strict-thinking',
        max_tokens: 4096,
        stream: true,
        tools,
        reasoning: { max_tokens: 2048 },
        messages: history,
      } as unknown as OpenAI.ChatCompletionCreateParamsStreaming);
      const details: unknown[] = [];
      let reasoning = '';
      const calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> = [];
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as Record<string, any> | undefined;
        if (!delta) continue;
        if (Array.isArray(delta.reasoning_details)) details.push(...delta.reasoning_details);
        if (typeof delta.reasoning === 'string') reasoning += delta.reasoning;
        for (const call of delta.tool_calls ?? []) {
          if (call.id) calls[call.index] = { id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } };
          calls[call.index]!.function.arguments += call.function?.arguments ?? '';
        }
      }
      expect(reasoning).toContain('look up the weather');
      history.push(
        { role: 'assistant', content: null, reasoning, reasoning_details: details, tool_calls: calls },
        { role: 'tool', tool_call_id: calls[0]!.id, content: '18°C' },
      );
    }
  });
});
