/**
 * The pass-through path against the full path on random upstream text (fast-check, fixed seed: a
 * permanent CI suite beside fast-path.test.ts's fixtures and hand-picked cases). An upstream is free
 * to send any JSON, in any member order, with any escaping; the fast path may take a chunk or an
 * answer only when it renders exactly what the full parse and re-serialisation would, so for every
 * generated stream and answer the two renderings (bytes, and what the lifecycle records) must be
 * equal, with `reasoning.exclude` off and on, and streams in random read sizes (splitting UTF-8
 * characters and `data:` lines).
 *
 * The generators stay near the shapes the fast path accepts (OpenAI's members, usually in its
 * order, usually of its types) so that most chunks are taken and every rule of the pattern is tried
 * on both sides of its edge: a member moved, repeated, unknown or of another type; strings with
 * escapes, control characters, lone surrogates, `<think>` tags and non-ASCII; numbers of every form;
 * escaping JSON.stringify would not write (`\/`, `\u00e9`) and whitespace between tokens.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSameAnswer, renderStream } from '../helpers/fast-path.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_fa57);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 300);

/** Strings an upstream's text holds: the ordinary, the tricky, and anything at all. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('', 'Hi', ' there', 'Load', ' testing', '\n\n', 'a b') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '<think>',
      '</think>',
      '<thi',
      'nk>plan',
      '  <think>a</think>b',
      'é ☃ 😀',
      '\u2028\u2029',
      '"quoted"',
      'back\\slash',
      'tab\there',
      '\u0000\u0007\u000b\u001f\u007f',
      '\ud800',
      'a/b',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);
/** Numbers as upstreams write them, and a few they should not. */
const number = fc.oneof(
  fc.nat({ max: 3 }),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(1718000000, 1.5, -0, 1e21, 12345678901234567890, 0.1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const scalar = fc.oneof(text, number, fc.constantFrom(null, true, false));
/** A value of another type than expected: any JSON. */
const anything = fc.jsonValue({ maxDepth: 2 });

type Member = [key: string, value: unknown];

/** `arbitrary` once in `every` draws, else null. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

/**
 * Members in OpenAI's order, each optional one present or not; sometimes with one value swapped for
 * any JSON, one member repeated, an unknown member added, or the order shuffled.
 */
function members(required: Member[], optional: Member[], order: string[]): fc.Arbitrary<Member[]> {
  return fc
    .record({
      present: fc.array(fc.boolean(), { minLength: optional.length, maxLength: optional.length }),
      swap: rarely(fc.tuple(fc.nat(), anything), 20),
      repeat: rarely(fc.nat(), 30),
      unknown: rarely(fc.tuple(fc.constantFrom('provider', 'x_score', 'error', 'usage', 'id', 'native_finish_reason'), scalar), 25),
      shuffle: rarely(fc.nat(), 25),
    })
    .map(({ present, swap, repeat, unknown, shuffle }) => {
      const chosen = [...required, ...optional.filter((_, index) => present[index])];
      let list = order.flatMap((key) => chosen.filter(([name]) => name === key));
      if (swap && list.length > 0) list[swap[0] % list.length] = [list[swap[0] % list.length]![0], swap[1]];
      if (repeat !== null && list.length > 0) list.push(list[repeat % list.length]!);
      if (unknown) list.push(unknown);
      if (shuffle !== null) {
        list = [...list];
        for (let index = list.length - 1; index > 0; index--) {
          const other = (shuffle * (index + 7)) % (index + 1);
          [list[index], list[other]] = [list[other]!, list[index]!];
        }
      }
      return list;
    });
}

/** A JSON object from members in the given order (repeats kept), as an upstream would write it. */
class Obj {
  constructor(readonly members: Member[]) {}
  toText(): string {
    return `{${this.members.map(([key, value]) => `${JSON.stringify(key)}:${serialise(value)}`).join(',')}}`;
  }
}
function serialise(value: unknown): string {
  if (value instanceof Obj) return value.toText();
  if (Array.isArray(value)) return `[${value.map(serialise).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}
const obj = (arbitrary: fc.Arbitrary<Member[]>) => arbitrary.map((list) => new Obj(list));

/** Rewrites of a JSON text that JSON.stringify would not write (the spacing ones may land inside a string: both paths read the same text either way). */
const spelling = fc.oneof(
  { weight: 12, arbitrary: fc.constant((json: string) => json) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<(json: string) => string>(
      (json) => json.replaceAll('/', '\\/'),
      (json) => json.replaceAll('é', '\\u00e9'),
      (json) => json.replace('","', '", "'),
      (json) => json.replace('":', '" :'),
      (json) => ` ${json}`,
    ),
  },
);

/** A delta that is not plain content: reasoning, tool calls, a refusal, in any combination. */
const otherDelta = obj(
  members(
    [],
    [
      ['role', 'assistant'],
      ['content', 'x'],
      ['refusal', null],
      ['reasoning_content', 'plan'],
      [
        'tool_calls',
        [
          new Obj([
            ['index', 0],
            ['id', 't'],
            ['type', 'function'],
            [
              'function',
              new Obj([
                ['name', 'f'],
                ['arguments', '{}'],
              ]),
            ],
          ]),
        ],
      ],
    ],
    ['role', 'content', 'refusal', 'reasoning_content', 'tool_calls'],
  ),
);

/** A stream chunk near the pass-through shape: content text, sometimes reasoning, tools, a finish, usage. */
const streamChunk = fc
  .record({
    id: fc.oneof({ weight: 5, arbitrary: fc.constant('chatcmpl-1') }, { weight: 1, arbitrary: text }),
    created: fc.oneof({ weight: 5, arbitrary: fc.constant(1718000000) }, { weight: 1, arbitrary: scalar }),
    fingerprint: scalar,
    content: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(null, 1) }),
    role: fc.boolean(),
    other: rarely(otherDelta, 6),
    index: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: number }),
    finish: fc.oneof(
      { weight: 8, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('stop', 'length', 'tool_calls') },
    ),
    choices: fc.oneof({ weight: 10, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2) }),
    usage: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constant('counts') },
    ),
  })
  .chain(({ id, created, fingerprint, content, role, other, index, finish, choices, usage }) => {
    const delta =
      other ??
      new Obj(
        role
          ? [
              ['role', 'assistant'],
              ['content', content],
            ]
          : [['content', content]],
      );
    const choice = (at: number) =>
      obj(
        members(
          [
            ['index', at === 0 ? index : at],
            ['delta', delta],
          ],
          [
            ['logprobs', null],
            ['finish_reason', finish],
            ['stop_reason', null],
          ],
          ['index', 'delta', 'logprobs', 'finish_reason', 'stop_reason'],
        ),
      );
    return fc.tuple(...Array.from({ length: choices }, (_, at) => choice(at))).chain((list) =>
      members(
        [
          ['id', id],
          ['model', 'gpt-4o-mini'],
          ['choices', list],
        ],
        [
          ['object', 'chat.completion.chunk'],
          ['created', created],
          ['service_tier', 'default'],
          ['system_fingerprint', fingerprint],
          ...(usage === undefined
            ? []
            : ([
                [
                  'usage',
                  usage === null
                    ? null
                    : new Obj([
                        ['prompt_tokens', 3],
                        ['completion_tokens', 4],
                        ['total_tokens', 7],
                      ]),
                ],
              ] as Member[])),
          ['obfuscation', 'ab"c'],
        ],
        ['id', 'object', 'created', 'model', 'service_tier', 'system_fingerprint', 'choices', 'usage', 'obfuscation'],
      ).map((chunkMembers) => new Obj(chunkMembers)),
    );
  });

/** A whole stream: chunks, then usually a finish, a usage chunk and the terminator; and the read size. */
const stream = fc.record({
  chunks: fc.array(fc.tuple(streamChunk, spelling), { minLength: 1, maxLength: 8 }),
  finish: fc.boolean(),
  usage: fc.boolean(),
  done: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  read: fc.oneof(fc.constant(1 << 20), fc.integer({ min: 1, max: 64 })),
});

function streamText({
  chunks,
  finish,
  usage,
  done,
}: {
  chunks: Array<[Obj, (json: string) => string]>;
  finish: boolean;
  usage: boolean;
  done: boolean;
}): string {
  let sse = chunks.map(([chunk, spell]) => `data: ${spell(chunk.toText())}\n\n`).join('');
  const tail = (fields: string) =>
    `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini",${fields}}\n\n`;
  if (finish) sse += tail('"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]');
  if (usage) sse += tail('"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}');
  if (done) sse += 'data: [DONE]\n\n';
  return sse;
}

/** A whole answer near the pass-through shape. */
const answer = fc
  .record({
    content: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(null, 1) }),
    finish: fc.oneof({ weight: 6, arbitrary: fc.constant('stop') }, { weight: 1, arbitrary: scalar }),
    index: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: number }),
    usage: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constant(
          new Obj([
            ['prompt_tokens', 3],
            ['completion_tokens', 4],
            ['total_tokens', 7],
          ]),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constant(
          new Obj([
            ['prompt_tokens', 3],
            ['completion_tokens', 4],
            ['total_tokens', 7],
            ['prompt_tokens_details', new Obj([['cached_tokens', 2]])],
            ['completion_tokens_details', new Obj([['reasoning_tokens', 1]])],
          ]),
        ),
      },
      { weight: 1, arbitrary: anything },
    ),
    spell: spelling,
  })
  .chain(({ content, finish, index, usage, spell }) =>
    members(
      [
        ['role', 'assistant'],
        ['content', content],
      ],
      [
        ['refusal', null],
        ['annotations', []],
      ],
      ['role', 'content', 'refusal', 'annotations'],
    )
      .chain((message) =>
        members(
          [
            ['index', index],
            ['message', new Obj(message)],
            ['finish_reason', finish],
          ],
          [['logprobs', null]],
          ['index', 'message', 'logprobs', 'finish_reason'],
        ),
      )
      .chain((choice) =>
        members(
          [
            ['id', 'chatcmpl-1'],
            ['model', 'gpt-4o-mini'],
            ['choices', [new Obj(choice)]],
            ['usage', usage],
          ],
          [
            ['object', 'chat.completion'],
            ['created', 1718000000],
            ['service_tier', 'default'],
            ['system_fingerprint', 'fp_1'],
          ],
          ['id', 'object', 'created', 'model', 'service_tier', 'system_fingerprint', 'choices', 'usage'],
        ),
      )
      .map((list) => spell(new Obj(list).toText())),
  );

describe('fast path on random upstream text: the same bytes and records as the full path', () => {
  it(`streams (seed ${SEED}, ${RUNS} runs)`, async () => {
    let taken = 0;
    let chunks = 0;
    await fc.assert(
      fc.asyncProperty(stream, async (generated) => {
        const sse = streamText(generated);
        for (const exclude of [false, true]) {
          const full = await renderStream(sse, false, exclude, generated.read);
          const fast = await renderStream(sse, true, exclude, generated.read);
          expect(full.raw).toBe(0);
          expect(fast.bytes).toBe(full.bytes);
          expect(fast.recorded).toEqual(full.recorded);
          taken += fast.raw;
        }
        chunks += 2 * generated.chunks.length;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Not vacuous: a good share of the generated chunks took the fast path, the rest the full one.
    expect(taken).toBeGreaterThan(chunks / 10);
    expect(taken).toBeLessThan(chunks);
  });

  it(`whole answers (seed ${SEED}, ${RUNS} runs)`, () => {
    let taken = 0;
    fc.assert(
      fc.property(answer, (text) => {
        if (expectSameAnswer(text)) taken++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(taken).toBeGreaterThan(RUNS / 10);
    expect(taken).toBeLessThan(RUNS);
  });
});
