/**
 * Every surface says the same thing streamed and whole (fast-check, fixed seed), as the official
 * clients assemble it, whatever the upstream's wire format. A scripted upstream (OpenAI-compatible,
 * Anthropic or Gemini: test/fakes/scripted-upstreams.ts) answers each request with the answer its
 * prompt describes — random reasoning, content (with or without a `<think>` block, whitespace around
 * it, text that could begin a tag) and up to three tool calls with random arguments (their pieces
 * interleaved in some OpenAI-compatible streams) — as a stream cut into random pieces or whole.
 * Through the gateway:
 *  - OpenAI Chat Completions (`openai`): the message of `create()` against the deltas of a stream
 *    (content, reasoning, tool calls, finish reason) and against `stream().finalChatCompletion()`;
 *  - Anthropic Messages (`@anthropic-ai/sdk`): `create()` against `stream().finalMessage()` (the
 *    thinking, text and tool_use blocks, the stop reason);
 *  - OpenAI Responses (`openai`): `create()` against the stream's last event (the output items and
 *    the status) and against `stream().finalResponse()` (the output items).
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Script, ScriptedKind } from '../fakes/scripted-upstreams.js';
import { startScriptedGateway, type ScriptedGateway } from '../helpers/scripted-gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_5afe);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 40);

const piece = fc.oneof(
  fc.constantFrom('<think>', '</think>', '<', '<th', '\n', '\n\n', ' '),
  fc.constantFrom('Plan.', 'The answer.', 'a < b', 'é ☃ 😀', '"q" \\ \t'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
);
const blank = fc.constantFrom('', ' ', '\n', '\n\n');
const contentText = fc.oneof(
  fc
    .tuple(blank, fc.array(piece, { maxLength: 3 }), fc.boolean(), blank, fc.array(piece, { minLength: 1, maxLength: 3 }))
    .map(([lead, thought, closed, gap, answer]) => `${lead}<think>${thought.join('')}${closed ? '</think>' : ''}${gap}${answer.join('')}`),
  fc.array(piece, { minLength: 1, maxLength: 5 }).map((pieces) => pieces.join('')),
);
/** `text` cut at random places into non-empty pieces. */
const cutUp = (text: fc.Arbitrary<string>) =>
  fc.tuple(text, fc.array(fc.nat(), { maxLength: 5 })).map(([whole, cuts]) => {
    const points = [...new Set(cuts.map((at) => at % (whole.length + 1)))].sort((a, b) => a - b);
    const pieces: string[] = [];
    let start = 0;
    for (const point of [...points, whole.length]) {
      if (point > start) pieces.push(whole.slice(start, point));
      start = Math.max(start, point);
    }
    return pieces;
  });
const script: fc.Arbitrary<Script> = fc
  .record({
    reasoning: fc.array(piece, { maxLength: 3 }),
    content: fc.oneof(cutUp(contentText), fc.constant<string[]>([])),
    // up to three calls (parallel tool calls), their argument pieces sometimes interleaved in the stream
    tools: fc.oneof(
      { weight: 2, arbitrary: fc.constant<Script['tools']>([]) },
      {
        weight: 3,
        arbitrary: fc.array(
          fc.record({
            name: fc.constantFrom('get_weather', 'search'),
            arguments: cutUp(fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify({ value }))),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      },
    ),
    interleave: fc.boolean(),
    length: fc.boolean(),
  })
  .filter(({ content, tools }) => content.length > 0 || tools.length > 0)
  .map(({ reasoning, content, tools, interleave, length }) => ({
    reasoning,
    content,
    tools,
    interleave,
    finish: tools.length > 0 ? 'tool_calls' : length ? 'length' : 'stop',
  }));

const definitions = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
  { type: 'function' as const, function: { name: 'search', parameters: { type: 'object', properties: {} } } },
];

const KINDS: ScriptedKind[] = ['openai-compatible', 'anthropic', 'gemini'];

describe.each(KINDS)('every surface, streamed and whole, says the same (%s upstream)', (kind) => {
  let served: ScriptedGateway;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    served = await startScriptedGateway(kind);
    ({ openai, anthropic } = served);
  });
  afterAll(() => served?.close());

  const model = 'acme/scripted';

  it(`OpenAI Chat Completions (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(script, async (scripted) => {
        const request = {
          model,
          messages: [{ role: 'user' as const, content: JSON.stringify(scripted) }],
          ...(scripted.tools.length > 0 ? { tools: definitions } : {}),
        };
        const whole = (await openai.chat.completions.create(request)).choices[0]!;
        const message = whole.message as typeof whole.message & { reasoning?: string };
        const expected = {
          content: message.content ?? '',
          reasoning: message.reasoning ?? '',
          tools: (message.tool_calls ?? []).map((call) => [
            (call as OpenAI.ChatCompletionMessageFunctionToolCall).function.name,
            (call as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments,
          ]),
          finish: whole.finish_reason,
        };
        const streamed = { content: '', reasoning: '', tools: [] as string[][], finish: null as string | null };
        for await (const chunk of await openai.chat.completions.create({ ...request, stream: true })) {
          for (const choice of chunk.choices) {
            const delta = choice.delta as typeof choice.delta & { reasoning?: string };
            streamed.content += delta.content ?? '';
            streamed.reasoning += delta.reasoning ?? '';
            for (const call of delta.tool_calls ?? []) {
              const slot = (streamed.tools[call.index] ??= ['', '']);
              slot[0] += call.function?.name ?? '';
              slot[1] += call.function?.arguments ?? '';
            }
            if (choice.finish_reason) streamed.finish = choice.finish_reason;
          }
        }
        expect(streamed).toEqual(expected);
        const final = (await openai.chat.completions.stream(request).finalChatCompletion()).choices[0]!;
        expect(final.message.content ?? '').toBe(expected.content);
        expect(final.finish_reason).toBe(expected.finish);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`Anthropic Messages (seed ${SEED}, ${RUNS} runs)`, async () => {
    const blocks = (content: Anthropic.ContentBlock[]) =>
      content.map((block) =>
        block.type === 'text'
          ? { type: 'text', text: block.text }
          : block.type === 'thinking'
            ? { type: 'thinking', thinking: block.thinking }
            : block.type === 'tool_use'
              ? { type: 'tool_use', name: block.name, input: block.input }
              : { type: block.type },
      );
    await fc.assert(
      fc.asyncProperty(script, async (scripted) => {
        const request = {
          model,
          max_tokens: 100,
          messages: [{ role: 'user' as const, content: JSON.stringify(scripted) }],
          ...(scripted.tools.length > 0
            ? { tools: definitions.map(({ function: { name } }) => ({ name, input_schema: { type: 'object' as const, properties: {} } })) }
            : {}),
        };
        const whole = await anthropic.messages.create(request);
        const streamed = await anthropic.messages.stream(request).finalMessage();
        expect({ content: blocks(streamed.content), stop: streamed.stop_reason }).toEqual({
          content: blocks(whole.content),
          stop: whole.stop_reason,
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`OpenAI Responses (seed ${SEED}, ${RUNS} runs)`, async () => {
    const items = (output: OpenAI.Responses.ResponseOutputItem[]) =>
      output.map((item) =>
        item.type === 'message'
          ? { type: 'message', text: item.content.map((part) => (part.type === 'output_text' ? part.text : part.type)).join('') }
          : item.type === 'reasoning'
            ? {
                type: 'reasoning',
                summary: item.summary.map((part) => part.text).join(''),
                text: (item.content ?? []).map((part) => part.text).join(''),
              }
            : item.type === 'function_call'
              ? { type: 'function_call', name: item.name, arguments: item.arguments }
              : { type: item.type },
      );
    await fc.assert(
      fc.asyncProperty(script, async (scripted) => {
        const request = {
          model,
          input: JSON.stringify(scripted),
          ...(scripted.tools.length > 0
            ? {
                tools: definitions.map(({ function: { name, parameters } }) => ({
                  type: 'function' as const,
                  name,
                  parameters,
                  strict: false,
                })),
              }
            : {}),
        };
        const whole = await openai.responses.create(request);
        // The stream's last event carries the whole response (response.completed, or response.incomplete for a cut answer).
        let last: OpenAI.Responses.Response | undefined;
        for await (const event of await openai.responses.create({ ...request, stream: true })) {
          if (event.type === 'response.completed' || event.type === 'response.incomplete') last = event.response;
        }
        expect({ output: items(last!.output), status: last!.status }).toEqual({ output: items(whole.output), status: whole.status });
        // What the SDK assembles from the deltas (it takes its final status only from response.completed, so
        // a cut answer stays 'in_progress' there, as it does against OpenAI: the items are compared).
        const assembled = await openai.responses.stream(request).finalResponse();
        expect(items(assembled.output)).toEqual(items(whole.output));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
