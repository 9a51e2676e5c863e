import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitThink, ThinkSplitter, type Split } from './think-tags.js';

/** `text` pushed in pieces cut at `cuts` (positions, any order), then flushed: what a stream of it gives in all. */
function streamed(text: string, cuts: number[]): Split {
  const splitter = new ThinkSplitter();
  const out: Split = { reasoning: '', content: '' };
  let start = 0;
  for (const cut of [...new Set(cuts.map((at) => at % (text.length + 1)))].sort((a, b) => a - b).concat(text.length)) {
    const part = splitter.push(text.slice(start, cut));
    out.reasoning += part.reasoning;
    out.content += part.content;
    start = cut;
  }
  const tail = splitter.flush();
  return { reasoning: out.reasoning + tail.reasoning, content: out.content + tail.content };
}

describe('think tags', () => {
  it('splits reasoning from the answer in a whole text', () => {
    expect(splitThink('<think>\nLet me count.\n</think>\n\nThree.')).toEqual({ reasoning: '\nLet me count.\n', content: 'Three.' });
    expect(splitThink('No tags here.')).toEqual({ reasoning: '', content: 'No tags here.' });
    expect(splitThink('Answer mentions <think> later')).toEqual({ reasoning: '', content: 'Answer mentions <think> later' });
  });

  it('gives the same split whatever the chunk boundaries, tags included', () => {
    const text = '<think>a < b and </thin k> is not a tag</think>The answer.';
    const expected = splitThink(text);
    for (let size = 1; size <= text.length; size++) {
      const splitter = new ThinkSplitter();
      let reasoning = '';
      let content = '';
      for (let start = 0; start < text.length; start += size) {
        const part = splitter.push(text.slice(start, start + size));
        reasoning += part.reasoning;
        content += part.content;
      }
      const tail = splitter.flush();
      expect({ reasoning: reasoning + tail.reasoning, content: content + tail.content }, `chunks of ${size}`).toEqual(expected);
    }
    expect(expected).toEqual({ reasoning: 'a < b and </thin k> is not a tag', content: 'The answer.' });
  });

  it('drops the whitespace after </think> also when it comes in later chunks than the tag', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.push('<think>plan</think>')).toEqual({ reasoning: 'plan', content: '' });
    expect(splitter.passesThrough).toBe(false); // the next text may still be whitespace to drop
    expect(splitter.push('\n')).toEqual({ reasoning: '', content: '' });
    expect(splitter.push(' \nThe answer.')).toEqual({ reasoning: '', content: 'The answer.' });
    expect(splitter.passesThrough).toBe(true);
    expect(splitter.push('\n\nMore.')).toEqual({ reasoning: '', content: '\n\nMore.' });
    expect(splitThink('<think>plan</think>\n \nThe answer.\n\nMore.')).toEqual({ reasoning: 'plan', content: 'The answer.\n\nMore.' });
  });

  it('gives what it held back when the text ends where a tag could have begun', () => {
    for (const text of ['<', '<th', '  ', ' <think', '\n']) {
      const splitter = new ThinkSplitter();
      expect(splitter.push(text)).toEqual({ reasoning: '', content: '' });
      expect(splitter.flush()).toEqual({ reasoning: '', content: text });
      expect(splitThink(text)).toEqual({ reasoning: '', content: text });
    }
  });

  it('gives the same split as the whole text for any text cut anywhere (property, fixed seed)', () => {
    const piece = fc.oneof(
      fc.constantFrom('<think>', '</think>', '<', '</', '<thi', 'nk>', '</th', 'ink>', '\n', '\n\n', ' ', '\t', '\u00a0', '\u2028'),
      fc.constantFrom('a', 'plan', 'The answer.', 'a < b', 'é ☃ 😀'),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    const text = fc.oneof(
      // the usual shape: whitespace, a think block, whitespace, the answer
      fc
        .tuple(
          fc.array(piece, { maxLength: 2 }),
          fc.array(piece, { maxLength: 5 }),
          fc.boolean(),
          fc.array(piece, { maxLength: 3 }),
          fc.array(piece, { maxLength: 4 }),
        )
        .map(
          ([lead, thought, closed, gap, answer]) =>
            `${lead.filter((p) => p.trim() === '').join('')}<think>${thought.join('')}${closed ? '</think>' : ''}${gap.filter((p) => p.trim() === '').join('')}${answer.join('')}`,
        ),
      // anything made of the pieces
      fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join('')),
    );
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (whole, cuts) => {
        expect(streamed(whole, cuts)).toEqual(splitThink(whole));
      }),
      { seed: 0x7e1_7a65, numRuns: 2000 },
    );
  });

  it('keeps unfinished reasoning as reasoning when the stream ends inside the tags', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.push('<think>still thinking</th')).toEqual({ reasoning: 'still thinking', content: '' });
    expect(splitter.flush()).toEqual({ reasoning: '</th', content: '' });
  });
});
