/**
 * An evaluation suite: items read from a file (a path or URL in the suite's documented format), the
 * prompt each item is asked with (zero-shot), how the answer is extracted from the model's text,
 * and how the extracted answer is scored. Suites are pure data and functions: the runner
 * (evals/runner.ts) asks the model through the gateway and stores what comes back.
 */

export interface SuiteItem {
  /** Stable within the file (a task id, or the row's index): results are keyed by it, so a resumed run skips it. */
  id: string;
  /** The user message sent, already filled from the suite's template. */
  prompt: string;
  /** What the scorer needs (the reference answer, the tests, the instruction list …), stored with the run. */
  reference: unknown;
}

export interface Score {
  correct: boolean;
  /** Why an answer was judged wrong (no answer found, a failed check, a failing test …), for the item record. */
  detail?: string;
}

export interface Suite {
  /** The format's name: gsm8k, math500, mmlu, ifeval, humaneval. */
  name: string;
  description: string;
  /** The template each item's prompt is built from, with `{placeholders}` named (documented, stored with each run). */
  template: string;
  /** Output tokens to allow per answer. */
  maxTokens: number;
  items: SuiteItem[];
  /** The answer as the scorer compares it (a number, a letter, a normalised expression, code), or null when none is found. */
  extract(answer: string, item: SuiteItem): string | null;
  /** Scores one extracted answer; may run code (HumanEval) and so is async. */
  score(extracted: string | null, item: SuiteItem, answer: string): Promise<Score> | Score;
}

/** Reads a suite's items from a file path or http(s) URL (loaders in evals/formats/). */
export type SuiteLoader = (source: string) => Promise<Suite>;
