/**
 * Splits `<think>…</think>` reasoning out of streamed text, as Qwen3, QwQ and the R1 distills emit it
 * when served by vLLM, SGLang, Ollama or llama.cpp without a reasoning parser. Tags may be split
 * across chunks; text that could be the start of a tag is held back until it is decided.
 */
const OPEN = '<think>';
const CLOSE = '</think>';

export interface Split {
  reasoning: string;
  content: string;
}

/** Longest suffix of `text` that is a proper prefix of `tag` (could still become the tag). */
function partialSuffix(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}

/** Whitespace after `</think>`, dropped before the answer (as vLLM's and SGLang's reasoning parsers do). */
const LEADING_SPACE = /^\s+/;

export class ThinkSplitter {
  /**
   * before: nothing seen yet; thinking: inside the tags; closed: after `</think>`, dropping the
   * whitespace before the answer (it may come in later chunks than the tag); answer: the rest (or
   * no tags at all).
   */
  private state: 'before' | 'thinking' | 'closed' | 'answer' = 'before';
  private pending = '';

  push(text: string): Split {
    if (this.state === 'answer') return { reasoning: '', content: this.pending === '' ? text : this.flush().content + text };
    let input = this.pending + text;
    this.pending = '';
    const out: Split = { reasoning: '', content: '' };
    while (input.length > 0) {
      if (this.state === 'before') {
        const trimmed = input.trimStart();
        if (trimmed.startsWith(OPEN)) {
          this.state = 'thinking';
          input = trimmed.slice(OPEN.length);
          continue;
        }
        if (OPEN.startsWith(trimmed)) {
          this.pending = input; // "<thi" — wait for more
          return out;
        }
        this.state = 'answer';
        continue;
      }
      if (this.state === 'thinking') {
        const end = input.indexOf(CLOSE);
        if (end === -1) {
          const keep = partialSuffix(input, CLOSE);
          out.reasoning += input.slice(0, input.length - keep);
          this.pending = input.slice(input.length - keep);
          return out;
        }
        out.reasoning += input.slice(0, end);
        input = input.slice(end + CLOSE.length);
        this.state = 'closed';
        continue;
      }
      if (this.state === 'closed') {
        input = input.replace(LEADING_SPACE, '');
        if (input.length === 0) return out; // only whitespace so far: the answer has not begun
        this.state = 'answer';
        continue;
      }
      out.content += input;
      input = '';
    }
    return out;
  }

  /** Whether text pushed now comes back unchanged as content (the tags are behind, or there were none). */
  get passesThrough(): boolean {
    return this.state === 'answer' && this.pending === '';
  }

  /** What is held back when the stream ends. */
  flush(): Split {
    const rest = this.pending;
    this.pending = '';
    return this.state === 'thinking' ? { reasoning: rest, content: '' } : { reasoning: '', content: rest };
  }
}

/** Whether a whole answer's text starts with a `<think>` block (after whitespace): the one test of whether `splitThink` has work. */
export function opensWithThink(text: string): boolean {
  return text.trimStart().startsWith('<think>');
}

/** The whole-text version, for non-streamed answers. */
export function splitThink(text: string): Split {
  const splitter = new ThinkSplitter();
  const head = splitter.push(text);
  const tail = splitter.flush();
  return { reasoning: head.reasoning + tail.reasoning, content: head.content + tail.content };
}
