import { describe, expect, it } from 'vitest';
import { splitThink, ThinkSplitter } from './think-tags.js';

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

  it('keeps unfinished reasoning as reasoning when the stream ends inside the tags', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.push('<think>still thinking</th')).toEqual({ reasoning: 'still thinking', content: '' });
    expect(splitter.flush()).toEqual({ reasoning: '</th', content: '' });
  });
});
