/**
 * A streamed answer and the same answer whole say the same thing (fast-check, fixed seed). For random
 * reasoning (DeepSeek's `reasoning_content`) and content (with or without a `<think>` block, with
 * whitespace around it, with text that could begin a tag), an OpenAI-compatible upstream's stream cut
 * into random chunks and read in random sizes, and its whole answer, go through the adapter (full
 * path and pass-through, `reasoning.exclude` off and on): the content and the reasoning a client
 * assembles from the stream's deltas must equal the whole answer's message.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RawChunk } from '../../src/contract/raw-chunk.js';
import { Secrets } from '../../src/lib/secrets.js';
import { readChatStream } from '../../src/providers/openai-compatible/stream.js';
import { chatResult } from '../../src/providers/openai-compatible/response.js';
import { wholeAnswer } from '../helpers/fast-path.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_0a75);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 300);
const secrets = new Secrets(['sk-test']);

const piece = fc.oneof(
  fc.constantFrom('<think>', '</think>', '<', '<th', 'ink>', '</th', '\n', '\n\n', ' ', '\u00a0'),
  fc.constantFrom('Plan.', 'The answer.', 'a < b', 'é ☃ 😀', '"q" \\ \t'),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const blank = fc.constantFrom('', ' ', '\n', '\n\n', ' \n');
/** An answer's content: often a think block first (closed or not), whitespace, then the answer; or anything. */
const content = fc.oneof(
  fc
    .tuple(blank, fc.array(piece, { maxLength: 4 }), fc.boolean(), blank, fc.array(piece, { maxLength: 4 }))
    .map(([lead, thought, closed, gap, answer]) => `${lead}<think>${thought.join('')}${closed ? '</think>' : ''}${gap}${answer.join('')}`),
  fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join('')),
);

const answer = fc.record({
  reasoning: fc.array(fc.oneof(piece, fc.constant('')), { maxLength: 3 }),
  content,
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  read: fc.oneof(fc.constant(1 << 20), fc.integer({ min: 1, max: 48 })),
});

const frame = (fields: Record<string, unknown>): string =>
  `data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 1718000000, model: 'up', ...fields })}\n\n`;
const delta = (value: Record<string, unknown>, finish: string | null = null): string =>
  frame({ choices: [{ index: 0, delta: value, logprobs: null, finish_reason: finish }] });

/** `text` cut at `cuts` (positions, any order; pieces may be empty). */
function cut(text: string, cuts: number[]): string[] {
  const points = cuts.map((at) => at % (text.length + 1)).sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const point of [...points, text.length]) {
    pieces.push(text.slice(start, point));
    start = point;
  }
  return pieces;
}

async function* reads(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

interface Said {
  content: string;
  reasoning: string;
}

/** What a client assembles from the stream's deltas. */
async function fromStream(sse: string, read: number, exclude: boolean, passthrough: boolean): Promise<Said> {
  const said: Said = { content: '', reasoning: '' };
  for await (const event of readChatStream(reads(sse, read), 'Acme', secrets, exclude, passthrough)) {
    const choices = event.chunk instanceof RawChunk ? event.chunk.choices : event.chunk.choices;
    for (const choice of choices) {
      const value = choice.delta as { content?: unknown; reasoning?: unknown };
      if (typeof value.content === 'string') said.content += value.content;
      if (typeof value.reasoning === 'string') said.reasoning += value.reasoning;
    }
  }
  return said;
}

describe('a streamed answer and the same answer whole', () => {
  it(`give the same content and reasoning (seed ${SEED}, ${RUNS} runs)`, async () => {
    let withThink = 0;
    await fc.assert(
      fc.asyncProperty(answer, async ({ reasoning, content: text, cuts, read }) => {
        let sse = delta({ role: 'assistant', content: '' });
        for (const thought of reasoning) sse += delta({ content: null, reasoning_content: thought });
        for (const part of cut(text, cuts)) sse += delta({ content: part });
        sse += delta({}, 'stop');
        sse += frame({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
        sse += 'data: [DONE]\n\n';
        const message: Record<string, unknown> = { role: 'assistant', content: text };
        if (reasoning.length > 0) message.reasoning_content = reasoning.join('');
        const whole = wholeAnswer({}, message);
        if (text.trimStart().startsWith('<think>')) withThink++;
        for (const exclude of [false, true]) {
          const result = chatResult(whole, 'Acme', secrets, exclude).body.choices[0]!.message as { content?: unknown; reasoning?: unknown };
          const expected: Said = {
            content: typeof result.content === 'string' ? result.content : '',
            reasoning: typeof result.reasoning === 'string' ? result.reasoning : '',
          };
          for (const passthrough of [false, true]) {
            expect(await fromStream(sse, read, exclude, passthrough), `exclude ${exclude}, pass-through ${passthrough}`).toEqual(expected);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Not vacuous: many of the answers open with a think block.
    expect(withThink).toBeGreaterThan(RUNS / 4);
  });
});
