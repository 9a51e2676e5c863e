/**
 * Reasoning, normalised and round-tripped on the OpenAI surface: DeepSeek's `reasoning_content` and
 * `<think>` tags in content become `message.reasoning` / `delta.reasoning` with `reasoning_details`,
 * as OpenRouter returns them; `reasoning: {…}` is mapped to each upstream's own parameter; and a
 * DeepSeek-style multi-turn conversation with reasoning and tool calls goes back to the upstream
 * with the reasoning on the assistant turns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('reasoning', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({
      yaml: routingConfig(
        {
          deepseek: { url: upstream.url, extra: 'reasoning_param: none' },
          qwen: { url: upstream.url, extra: 'reasoning_param: enable_thinking' },
          openai: upstream.url,
          gpt5: { url: upstream.url, extra: 'reasoning_efforts: [none, minimal, low, medium, high, xhigh]' },
        },
        {
          'deepseek/r1': [{ provider: 'deepseek', model: 'reasoning' }],
          'qwen/qwen3': [{ provider: 'qwen', model: 'think-tags' }],
          'openai/o': [{ provider: 'openai', model: 'ok' }],
          'openai/gpt5': [{ provider: 'gpt5', model: 'ok' }],
          'deepseek/tools': [{ provider: 'deepseek', model: 'tools' }],
          'deepseek/strict': [{ provider: 'deepseek', model: 'strict-reasoning' }],
        },
      ),
    });
    client = gateway.client(await gateway.createKey());
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const last = (): Record<string, any> => upstream.requests[upstream.requests.length - 1]!.body;

  it("returns DeepSeek's reasoning_content as message.reasoning with reasoning_details, plain and streamed", async () => {
    const plain = await client.chat.completions.create({ model: 'deepseek/r1', messages: [{ role: 'user', content: 'Hi' }] });
    const message = plain.choices[0]!.message as unknown as Record<string, any>;
    expect(message.content).toBe('Hi!');
    expect(message.reasoning).toBe('The user greets me; reply briefly.');
    expect(message.reasoning_details).toEqual([
      { type: 'reasoning.text', text: 'The user greets me; reply briefly.', format: 'unknown', index: 0 },
    ]);
    const stream = await client.chat.completions.create({
      model: 'deepseek/r1',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as Record<string, any> | undefined;
      reasoning += delta?.reasoning ?? '';
      content += delta?.content ?? '';
    }
    expect(reasoning).toBe('The user greets me; reply briefly.');
    expect(content).toBe('Hi!');
  });

  it('splits <think> tags out of the content, even when the tags are split across chunks', async () => {
    const plain = await client.chat.completions.create({
      model: 'qwen/qwen3',
      messages: [{ role: 'user', content: 'How many r in strawberry?' }],
    });
    expect(plain.choices[0]!.message.content).toBe('Three.');
    expect((plain.choices[0]!.message as unknown as Record<string, unknown>).reasoning).toBe('\nCount the letters.\n');
    const stream = await client.chat.completions.create({ model: 'qwen/qwen3', messages: [{ role: 'user', content: 'x' }], stream: true });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as Record<string, any> | undefined;
      reasoning += delta?.reasoning ?? '';
      content += delta?.content ?? '';
    }
    expect(reasoning).toBe('\nCount the letters.\n');
    expect(content).toBe('Three.');
  });

  it('leaves reasoning out with reasoning.exclude', async () => {
    const plain = await client.chat.completions.create({
      model: 'deepseek/r1',
      messages: [{ role: 'user', content: 'Hi' }],
      ...({ reasoning: { exclude: true } } as object),
    });
    const message = plain.choices[0]!.message as unknown as Record<string, unknown>;
    expect(message.content).toBe('Hi!');
    expect(message).not.toHaveProperty('reasoning');
    expect(message).not.toHaveProperty('reasoning_content');
  });

  it('sends an effort the upstream does not take as the nearest one it does, and says so in x-agora-adjusted-parameters', async () => {
    const ask = async (model: string, effort: string, stream = false): Promise<{ sent: unknown; header: string | null }> => {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${(client as unknown as { apiKey: string }).apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'x' }], reasoning: { effort } }),
      });
      await response.text();
      expect(response.status).toBe(200);
      return { sent: last().reasoning_effort, header: response.headers.get('x-agora-adjusted-parameters') };
    };
    // An upstream with the classic four (the default): xhigh and max become high, none becomes minimal.
    expect(await ask('openai/o', 'xhigh')).toEqual({ sent: 'high', header: 'reasoning.effort=xhigh->high' });
    expect(await ask('openai/o', 'max', true)).toEqual({ sent: 'high', header: 'reasoning.effort=max->high' });
    expect(await ask('openai/o', 'none')).toEqual({ sent: 'minimal', header: 'reasoning.effort=none->minimal' });
    expect(await ask('openai/o', 'medium')).toEqual({ sent: 'medium', header: null });
    // An upstream that lists xhigh and none (GPT-5.x) gets them as asked; max becomes its highest.
    expect(await ask('openai/gpt5', 'xhigh')).toEqual({ sent: 'xhigh', header: null });
    expect(await ask('openai/gpt5', 'none', true)).toEqual({ sent: 'none', header: null });
    expect(await ask('openai/gpt5', 'max')).toEqual({ sent: 'xhigh', header: 'reasoning.effort=max->xhigh' });
  });

  it("maps reasoning to each upstream's parameter, never forwarding OpenRouter's own field", async () => {
    await client.chat.completions.create({
      model: 'openai/o',
      messages: [{ role: 'user', content: 'x' }],
      ...({ reasoning: { effort: 'high' } } as object),
    });
    expect(last()).toMatchObject({ reasoning_effort: 'high' });
    expect(last()).not.toHaveProperty('reasoning');
    await client.chat.completions.create({
      model: 'qwen/qwen3',
      messages: [{ role: 'user', content: 'x' }],
      ...({ reasoning: { max_tokens: 2048 } } as object),
    });
    expect(last()).toMatchObject({ enable_thinking: true, thinking_budget: 2048 });
    await client.chat.completions.create({
      model: 'deepseek/r1',
      messages: [{ role: 'user', content: 'x' }],
      ...({ reasoning: { effort: 'low' } } as object),
    });
    expect(last()).not.toHaveProperty('reasoning_effort');
    const bad = await client.chat.completions
      .create({ model: 'openai/o', messages: [{ role: 'user', content: 'x' }], ...({ reasoning: { effort: 'extreme' } } as object) })
      .catch((error: APIError) => error);
    expect((bad as APIError).status).toBe(400);
  });

  it('round-trips a DeepSeek-style conversation with reasoning and tool calls without a 400', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.chat.completions.create({ model: 'deepseek/tools', messages, tools });
    const call = first.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    messages.push({
      ...(first.choices[0]!.message as OpenAI.ChatCompletionAssistantMessageParam),
      ...({ reasoning_content: 'I should call the weather tool.' } as object),
    });
    messages.push({ role: 'tool', tool_call_id: call.id, content: '21°C' });
    const second = await client.chat.completions.create({ model: 'deepseek/r1', messages, tools });
    expect(second.choices[0]!.message.content).toBe('Hi!');
    const sent = last().messages as Array<Record<string, unknown>>;
    expect(sent[1]).toMatchObject({
      role: 'assistant',
      reasoning_content: 'I should call the weather tool.',
      tool_calls: [{ id: call.id, function: { name: 'get_weather' } }],
    });
    expect(sent[2]).toMatchObject({ role: 'tool', tool_call_id: call.id });
  });

  it("passes reasoning sent back in OpenRouter's form on as reasoning_content, which DeepSeek demands on tool-call turns", async () => {
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        reasoning: 'Call the tool.',
        reasoning_details: [{ type: 'reasoning.text', text: 'Call the tool.' }],
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '21°C' },
    ] as unknown as OpenAI.ChatCompletionMessageParam[];
    const answer = await client.chat.completions.create({ model: 'deepseek/strict', messages });
    expect(answer.choices[0]!.message.content).toBe('Hello from the fake upstream.');
    expect((last().messages as Array<Record<string, unknown>>)[1]).toEqual({
      role: 'assistant',
      content: null,
      reasoning_content: 'Call the tool.',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    });
    const without = (messages as unknown as Array<Record<string, unknown>>).map(
      ({ reasoning: _r, reasoning_details: _d, ...rest }) => rest,
    ) as unknown as OpenAI.ChatCompletionMessageParam[];
    const refused = await client.chat.completions.create({ model: 'deepseek/strict', messages: without }).catch((error: APIError) => error);
    expect((refused as APIError).status).toBe(400); // the strict upstream's own rule, passed on
  });
});
