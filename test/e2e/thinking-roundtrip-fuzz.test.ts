/**
 * Extended thinking survives an agent loop on every surface (fast-check, fixed seed). Anthropic
 * requires the assistant turn that made tool calls to come back on the next request with its
 * thinking block first, text and signature exactly as issued, or it refuses the request. A scripted
 * Anthropic upstream answers turn one with random thinking (in random pieces when streamed), a
 * random signature, maybe text, and one or two tool calls; the client sends the turn back the way
 * its surface returns it, with the tool results:
 *  - Chat Completions (`openai`): the assistant message as answered, `reasoning_details` included;
 *  - Anthropic Messages (`@anthropic-ai/sdk`): the content blocks of `create()`, and of
 *    `stream().finalMessage()`;
 *  - Responses (`openai`): the output items of `create()`, and of `stream().finalResponse()` (the
 *    reasoning item's `encrypted_content`), and `function_call_output` items.
 * The upstream must then receive that assistant turn as it issued it: the thinking block (text and
 * signature) first, then the text, then the tool_use blocks with their ids and inputs.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Script, ScriptedUpstream } from '../fakes/scripted-upstreams.js';
import { startScriptedGateway, type ScriptedGateway } from '../helpers/scripted-gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_7415);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 30);

const text = fc.oneof(
  fc.constantFrom('Let me check the weather.', 'First, ', 'é ☃ 😀', '"q" \\ \n', ' '),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
);
/** A turn that calls tools after thinking, as Claude's extended thinking with tools answers. */
const turn: fc.Arbitrary<Script> = fc
  .record({
    reasoning: fc.array(text, { minLength: 1, maxLength: 4 }),
    signature: fc.base64String({ minLength: 8, maxLength: 60 }),
    content: fc.option(text, { nil: undefined }),
    tools: fc.array(
      fc.record({
        name: fc.constantFrom('get_weather', 'search'),
        input: fc.dictionary(fc.constantFrom('city', 'query'), fc.string({ maxLength: 8 }), { minKeys: 1, maxKeys: 2 }),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  })
  .map(({ reasoning, signature, content, tools }) => ({
    reasoning,
    signature,
    content: content === undefined ? [] : [content],
    tools: tools.map((tool, index) => ({ id: `toolu_r${index}`, name: tool.name, arguments: [JSON.stringify(tool.input)] })),
    finish: 'tool_calls' as const,
  }));

const definitions = ['get_weather', 'search'];
const USER = 'What is the weather in Paris?';

/** The assistant turn as the upstream issued it: thinking first, then text, then the calls. */
function issued(script: Script): unknown[] {
  return [
    { type: 'thinking', thinking: script.reasoning.join(''), signature: script.signature },
    ...(script.content.length > 0 ? [{ type: 'text', text: script.content.join('') }] : []),
    ...script.tools.map((tool) => ({ type: 'tool_use', id: tool.id, name: tool.name, input: JSON.parse(tool.arguments.join('')) })),
  ];
}

describe('extended thinking round-trips through an agent loop', () => {
  let served: ScriptedGateway;
  let upstream: ScriptedUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    served = await startScriptedGateway('anthropic');
    ({ upstream, openai, anthropic } = served);
  });
  afterAll(() => served?.close());

  /** The assistant turn of the upstream's last request. */
  const sentBack = (): unknown[] => {
    const messages = upstream.requests.at(-1)!.messages as Array<{ role: string; content: unknown[] }>;
    return messages.filter((message) => message.role === 'assistant').at(-1)!.content;
  };

  it(`Chat Completions (seed ${SEED}, ${RUNS} runs)`, async () => {
    const tools = definitions.map((name) => ({ type: 'function' as const, function: { name, parameters: { type: 'object' } } }));
    await fc.assert(
      fc.asyncProperty(turn, async (script) => {
        upstream.queue.push(script);
        const first = await openai.chat.completions.create({ model: 'acme/scripted', messages: [{ role: 'user', content: USER }], tools });
        const message = first.choices[0]!.message;
        await openai.chat.completions.create({
          model: 'acme/scripted',
          tools,
          messages: [
            { role: 'user', content: USER },
            message as OpenAI.ChatCompletionAssistantMessageParam,
            ...message.tool_calls!.map((call) => ({ role: 'tool' as const, tool_call_id: call.id, content: 'Sunny, 21 °C.' })),
          ],
        });
        expect(sentBack()).toEqual(issued(script));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`Anthropic Messages, whole and streamed (seed ${SEED}, ${RUNS} runs)`, async () => {
    const tools = definitions.map((name) => ({ name, input_schema: { type: 'object' as const } }));
    await fc.assert(
      fc.asyncProperty(turn, fc.boolean(), async (script, streamed) => {
        upstream.queue.push(script);
        const request = { model: 'acme/scripted', max_tokens: 1000, tools, messages: [{ role: 'user' as const, content: USER }] };
        const first = streamed ? await anthropic.messages.stream(request).finalMessage() : await anthropic.messages.create(request);
        await anthropic.messages.create({
          ...request,
          messages: [
            { role: 'user', content: USER },
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: first.content
                .filter((block) => block.type === 'tool_use')
                .map((block) => ({ type: 'tool_result' as const, tool_use_id: block.id, content: 'Sunny, 21 °C.' })),
            },
          ],
        });
        expect(sentBack()).toEqual(issued(script));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`Responses, whole and streamed (seed ${SEED}, ${RUNS} runs)`, async () => {
    const tools = definitions.map((name) => ({ type: 'function' as const, name, parameters: { type: 'object' }, strict: false }));
    await fc.assert(
      fc.asyncProperty(turn, fc.boolean(), async (script, streamed) => {
        upstream.queue.push(script);
        const request = { model: 'acme/scripted', tools, input: USER, store: false };
        const first = streamed ? await openai.responses.stream(request).finalResponse() : await openai.responses.create(request);
        await openai.responses.create({
          model: 'acme/scripted',
          tools,
          store: false,
          input: [
            { role: 'user', content: USER },
            ...(first.output as OpenAI.Responses.ResponseInputItem[]),
            ...(first.output as OpenAI.Responses.ResponseOutputItem[])
              .filter((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call')
              .map((item) => ({ type: 'function_call_output' as const, call_id: item.call_id, output: 'Sunny, 21 °C.' })),
          ],
        });
        expect(sentBack()).toEqual(issued(script));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
