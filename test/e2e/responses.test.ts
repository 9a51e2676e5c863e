/**
 * OpenAI's Responses API through the `openai` SDK (`responses.create`, `responses.stream`,
 * `responses.retrieve`, `responses.delete`) over every upstream kind: OpenAI-compatible, native
 * Anthropic and native Gemini. Plain and streamed text, instructions, function tools and their
 * outputs, reasoning items (with Anthropic's signatures round-tripped through `previous_response_id`
 * and through `encrypted_content`), JSON output, stored responses per account, and the errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { startAnthropicFake, type AnthropicFake } from '../fakes/anthropic-upstream.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-upstream.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const UPSTREAMS = [
  { kind: 'openai-compatible', model: 'oa/ok', tools: 'oa/tools', text: 'Hello from the fake upstream.' },
  { kind: 'anthropic', model: 'an/ok', tools: 'an/tools', text: 'Hello from Claude.' },
  { kind: 'gemini', model: 'ge/ok', tools: 'ge/tools', text: '' },
] as const;

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('OpenAI Responses API', () => {
  let openai: FakeUpstream;
  let anthropic: AnthropicFake;
  let gemini: GeminiFake;
  let gateway: TestGateway;
  let client: OpenAI;
  let other: OpenAI;

  beforeAll(async () => {
    openai = await startFakeUpstream();
    anthropic = await startAnthropicFake();
    gemini = await startGeminiFake();
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000 }
providers:
  acme: { base_url: ${openai.url}, api_key_env: ACME_TEST_KEY }
  claude: { type: anthropic, base_url: ${anthropic.url}, api_key_env: ACME_TEST_KEY }
  google: { type: gemini, base_url: ${gemini.url}, api_key_env: ACME_TEST_KEY }
models:
${['ok', 'tools', 'reasoning', 'die-after:2', 'exact', 'status:500']
  .map(
    (mode) =>
      `  oa/${mode.replace(/\W/g, '-')}:\n    endpoints: [{ provider: acme, model: "${mode}", pricing: { prompt: 1, completion: 2 } }]`,
  )
  .join('\n')}
${['ok', 'tools', 'thinking', 'strict-thinking']
  .map(
    (mode) =>
      `  an/${mode}:\n    endpoints: [{ provider: claude, model: ${mode}, pricing: { prompt: 3, completion: 15 }, max_output: 64000 }]`,
  )
  .join('\n')}
${['ok', 'tools', 'thinking'].map((mode) => `  ge/${mode}:\n    endpoints: [{ provider: google, model: ${mode}, pricing: { prompt: 1, completion: 1 } }]`).join('\n')}
`,
    });
    const keyFor = async (name: string): Promise<string> => {
      const created = await fetch(`${gateway.url}/api/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, credit: 10 }),
      });
      return ((await created.json()) as { key: string }).key;
    };
    client = gateway.client(await keyFor('responses'));
    other = gateway.client(await keyFor('another account'));
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
  });

  const lastOpenAI = (): Record<string, any> => openai.requests[openai.requests.length - 1]!.body;

  for (const upstream of UPSTREAMS) {
    it(`answers plainly with instructions over ${upstream.kind}: a Response whose id is the generation id`, async () => {
      const { data, response } = await client.responses
        .create({ model: upstream.model, instructions: 'Be brief.', input: 'Hi there', max_output_tokens: 300 })
        .withResponse();
      expect(data.object).toBe('response');
      expect(data.status).toBe('completed');
      expect(data.id).toBe(response.headers.get('x-agora-generation-id'));
      expect(data.model).toBe(upstream.model);
      expect(data.instructions).toBe('Be brief.');
      expect(data.max_output_tokens).toBe(300);
      const message = data.output.find((item) => item.type === 'message');
      expect(message).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
      if (upstream.text) expect(data.output_text).toBe(upstream.text);
      else expect(data.output_text.length).toBeGreaterThan(0);
      expect(data.usage?.input_tokens).toBeGreaterThan(0);
      expect(data.usage?.output_tokens).toBeGreaterThan(0);
      expect(data.usage?.total_tokens).toBe(data.usage!.input_tokens + data.usage!.output_tokens);
      expect((data.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    });

    it(`streams the full event sequence over ${upstream.kind}, and the stream's final Response equals the stored one`, async () => {
      const stream = client.responses.stream({ model: upstream.model, input: 'Stream please' });
      const types: string[] = [];
      let deltas = '';
      const sequence: number[] = [];
      for await (const event of stream) {
        types.push(event.type);
        sequence.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') deltas += event.delta;
      }
      const final = await stream.finalResponse();
      expect(types[0]).toBe('response.created');
      expect(types[1]).toBe('response.in_progress');
      expect(types).toContain('response.output_item.added');
      expect(types).toContain('response.content_part.added');
      expect(types).toContain('response.output_text.delta');
      expect(types).toContain('response.output_text.done');
      expect(types).toContain('response.output_item.done');
      expect(types[types.length - 1]).toBe('response.completed');
      expect(sequence).toEqual(sequence.map((_, index) => index)); // sequence_number counts from 0, no gap
      // The SDK adds `output_text` to created responses only; a streamed one is read from its items, as on OpenAI.
      const finalText = final.output
        .flatMap((item) => (item.type === 'message' ? item.content : []))
        .map((part) => (part.type === 'output_text' ? part.text : ''))
        .join('');
      expect(finalText).toBe(deltas);
      if (upstream.text) expect(finalText).toBe(upstream.text);
      expect(final.status).toBe('completed');
      expect(final.usage?.output_tokens).toBeGreaterThan(0);
      const stored = await client.responses.retrieve(final.id);
      // The SDK adds `parsed` / `parsed_arguments` to what it finalises; the items are otherwise the same.
      const plain = (value: unknown): unknown =>
        JSON.parse(JSON.stringify(value, (key, item: unknown) => (key === 'parsed' || key === 'parsed_arguments' ? undefined : item)));
      expect(plain(stored.output)).toEqual(plain(final.output));
    });

    it(`calls tools and continues from previous_response_id with the tool's output over ${upstream.kind}`, async () => {
      const first = await client.responses.create({ model: upstream.tools, input: 'Weather in Paris?', tools: [weather] });
      const call = first.output.find((item) => item.type === 'function_call');
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'Paris' });
      const callId = (call as { call_id: string }).call_id;
      const second = await client.responses.create({
        model: upstream.model,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: callId, output: '18°C and sunny' }],
        tools: [weather],
      });
      expect(second.previous_response_id).toBe(first.id);
      expect(second.status).toBe('completed');
      expect(second.output_text.length).toBeGreaterThan(0);
      if (upstream.kind === 'openai-compatible') {
        // The upstream saw the whole conversation: the user turn, the assistant's call, the tool's answer.
        expect(lastOpenAI().messages).toEqual([
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: callId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: callId, content: '18°C and sunny' },
        ]);
      }
    });
  }

  it('streams a function call as output_item.added and function_call_arguments deltas', async () => {
    const stream = client.responses.stream({ model: 'oa/tools', input: 'Weather in Paris?', tools: [weather] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types).toContain('response.function_call_arguments.done');
    const call = final.output.find((item) => item.type === 'function_call') as { arguments: string; call_id: string };
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(call.call_id).toBe('call_fake_1');
  });

  it('returns reasoning as a reasoning item (content, and the summary when asked for), plain and streamed', async () => {
    const plain = await client.responses.create({ model: 'oa/reasoning', input: 'Hi', reasoning: { effort: 'low', summary: 'auto' } });
    const item = plain.output.find((entry) => entry.type === 'reasoning') as {
      summary: Array<{ text: string }>;
      content: Array<{ text: string }>;
    };
    expect(item.content[0]!.text).toBe('The user greets me; reply briefly.');
    expect(item.summary[0]!.text).toBe('The user greets me; reply briefly.');
    expect(plain.output_text).toBe('Hi!');
    expect(plain.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    const stream = client.responses.stream({ model: 'oa/reasoning', input: 'Hi' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(types).toContain('response.reasoning_text.delta');
    expect((final.output[0] as { type: string; content: Array<{ text: string }> }).content[0]!.text).toBe(
      'The user greets me; reply briefly.',
    );
  });

  for (const [kind, model] of [
    ['OpenAI-compatible (DeepSeek-style)', 'oa/reasoning'],
    ['Anthropic', 'an/thinking'],
    ['Gemini', 'ge/thinking'],
  ] as const) {
    it(`gives reasoning as a reasoning item before the answer over ${kind}, plain and streamed`, async () => {
      const plain = await client.responses.create({
        model,
        input: 'What is 2+2?',
        reasoning: { effort: 'medium' },
        max_output_tokens: 4096,
      });
      expect(plain.output[0]!.type).toBe('reasoning');
      const thought = (plain.output[0] as { content: Array<{ text: string }> }).content[0]!.text;
      expect(thought.length).toBeGreaterThan(0);
      expect(plain.output_text.length).toBeGreaterThan(0);
      const stream = client.responses.stream({ model, input: 'What is 2+2?', reasoning: { effort: 'medium' }, max_output_tokens: 4096 });
      let streamedThought = '';
      for await (const event of stream) if (event.type === 'response.reasoning_text.delta') streamedThought += event.delta;
      const final = await stream.finalResponse();
      expect(streamedThought).toBe(thought);
      expect((final.output[0] as { content: Array<{ text: string }> }).content[0]!.text).toBe(thought);
    });
  }

  it("keeps Anthropic's thinking signatures across turns with tools, through previous_response_id and through encrypted_content", async () => {
    // The strict fake refuses a tool-use turn whose thinking blocks are not sent back byte for byte.
    const tools = [weather];
    let previous = await client.responses.create({
      model: 'an/strict-thinking',
      input: 'Weather in Paris, then Rome?',
      tools,
      reasoning: { effort: 'high' },
    });
    for (let turn = 0; turn < 2; turn++) {
      const call = previous.output.find((item) => item.type === 'function_call') as { call_id: string };
      previous = await client.responses.create({
        model: 'an/strict-thinking',
        previous_response_id: previous.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '18°C' }],
        tools,
        reasoning: { effort: 'high' },
      });
      expect(previous.status).toBe('completed');
    }
    // Stateless: the client carries the items itself, encrypted_content included.
    const first = await client.responses.create({
      model: 'an/strict-thinking',
      input: 'Weather in Oslo?',
      tools,
      store: false,
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'high' },
    });
    const reasoning = first.output.find((item) => item.type === 'reasoning') as { encrypted_content: string | null };
    expect(reasoning.encrypted_content).toMatch(/^agora\.reasoning\.v1:/);
    const call = first.output.find((item) => item.type === 'function_call') as { call_id: string };
    const second = await client.responses.create({
      model: 'an/strict-thinking',
      input: [
        { role: 'user', content: 'Weather in Oslo?' },
        ...(first.output as unknown as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: call.call_id, output: '-3°C' },
      ],
      tools,
      store: false,
      reasoning: { effort: 'high' },
    });
    expect(second.status).toBe('completed');
    const notStored = await client.responses.retrieve(first.id).catch((error: unknown) => error);
    expect((notStored as APIError).status).toBe(404);
  });

  it('sends text.format as the upstream response_format and max_output_tokens as max_tokens', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await client.responses.create({
      model: 'oa/ok',
      input: 'JSON please',
      text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } },
      max_output_tokens: 64,
      temperature: 0.3,
    });
    expect(lastOpenAI()).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } },
      max_tokens: 64,
      temperature: 0.3,
    });
  });

  it('ends a stream that breaks after its first byte with an error event and response.failed, never response.completed', async () => {
    const cut = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oa/die-after-2', input: 'x', stream: true }),
    });
    const text = await cut.text();
    expect(text).toContain('event: error');
    expect(text).toContain('event: response.failed');
    expect(text).not.toContain('response.completed');
  });

  it('keeps stored responses per account: retrieve, another account cannot see or delete it, delete', async () => {
    const made = await client.responses.create({ model: 'oa/ok', input: 'Remember me' });
    const fetched = await client.responses.retrieve(made.id);
    expect(fetched.id).toBe(made.id);
    expect(fetched.output_text).toBe('Hello from the fake upstream.');
    for (const attempt of [other.responses.retrieve(made.id), other.responses.delete(made.id)]) {
      expect(((await attempt.catch((error: unknown) => error)) as APIError).status).toBe(404);
    }
    const continued = await other.responses
      .create({ model: 'oa/ok', input: 'x', previous_response_id: made.id })
      .catch((error: unknown) => error);
    expect((continued as APIError).status).toBe(400);
    expect((continued as APIError).param).toBe('previous_response_id');
    await client.responses.delete(made.id);
    expect(((await client.responses.retrieve(made.id).catch((error: unknown) => error)) as APIError).status).toBe(404);
  });

  it("answers errors in OpenAI's shape on /v1/responses and in OpenRouter's (a numeric code) on /api/v1/responses", async () => {
    const ask = (path: string): Promise<Response> =>
      fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'oa/status-500', input: 'x' }),
      });
    const openaiShape = await ask('/v1/responses');
    expect(openaiShape.status).toBe(502);
    expect(((await openaiShape.json()) as { error: { code: unknown } }).error.code).toBe('upstream_error');
    const openRouterShape = await ask('/api/v1/responses');
    expect(openRouterShape.status).toBe(502);
    expect(((await openRouterShape.json()) as { error: { code: unknown; metadata: { reason: string } } }).error).toMatchObject({
      code: 502,
      metadata: { reason: 'upstream_error' },
    });
  });

  it('refuses what no upstream can serve with a 400 naming it, and an unknown model with a 404', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      [{ background: true }, 'background'],
      [{ input: [{ type: 'item_reference', id: 'x' }] }, 'input[0].type'],
      [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].image_url'],
      [{ max_output_tokens: 0 }, 'max_output_tokens'],
      [{ nonsense: 1 }, 'nonsense'],
      [{ tools: [{ type: 'function', parameters: { type: 'object' } }] }, 'tools[0].name'],
      [{ input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    ];
    for (const [extra, param] of cases) {
      const error = (await client.responses
        .create({ model: 'oa/ok', input: 'x', ...extra } as never)
        .catch((caught: unknown) => caught)) as APIError;
      expect({ param, status: error.status }).toEqual({ param, status: 400 });
      expect(error.param).toBe(param);
    }
    const unknown = (await client.responses.create({ model: 'nobody/nothing', input: 'x' }).catch((caught: unknown) => caught)) as APIError;
    expect(unknown.status).toBe(404);
  });
});
