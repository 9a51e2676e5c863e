/**
 * GSM8K: grade-school math word problems, scored by numeric exact match.
 *
 * Format: JSON Lines, one `{question, answer}` object a line; `answer` is a worked solution whose
 * last line is `#### <number>` (the reference, commas allowed). Item ids are the 0-based row index.
 *
 * Extraction: the first number after the last `Answer:` (or `####`, or the last `\boxed{}`),
 * otherwise the last number anywhere in the text. Numbers are normalised (thousands commas, `$`, a
 * leading `+`, a trailing `%`, trailing zeros after the point, simple fractions `a/b`) and compared
 * numerically, so `18`, `18.00`, `$18` and `+18` all equal a reference of 18.
 */

import type { Score, Suite, SuiteItem } from '../suite.js';
import { fillTemplate, readJsonLinesRows } from './source.js';

export const GSM8K_TEMPLATE =
  'Solve the following math problem step by step. After your reasoning, end your response with a final line of the form ' +
  '"Answer: <number>", where <number> is the final numeric answer only (no units).\n\n' +
  'Problem: {question}';

export interface Gsm8kReference {
  /** The reference number as written after `#### `, commas removed. */
  answer: string;
}

/**
 * A number as written in text: an optional sign, an optional `$`, digits with optional thousands
 * commas, an optional decimal part, an optional fraction `/b` and an optional `%`. A `-` counts as a
 * sign only when it does not follow a word character (so `3-4` is 3 and 4, not 3 and -4).
 */
const NUMBER = /(?:(?<![\w)\]])[-−+])?\$?\s?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)?(?:\.\d+)?(?:\s?\/\s?\d+(?:\.\d+)?)?%?/g;

function numberTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(NUMBER)) {
    if (/\d/.test(match[0])) tokens.push(match[0]);
  }
  return tokens;
}

/** A written number as a plain decimal string (`$1,234.50` → `1234.5`, `3/4` → `0.75`), or null. */
export function normalizeNumber(written: string): string | null {
  let text = written
    .trim()
    .replace(/−/g, '-')
    .replace(/[$,\s]/g, '')
    .replace(/%$/, '');
  if (text.startsWith('+')) text = text.slice(1);
  let value: number;
  const fraction = /^(-?\d*\.?\d+)\/(\d*\.?\d+)$/.exec(text);
  if (fraction) {
    const denominator = Number(fraction[2]);
    if (denominator === 0) return null;
    value = Number(fraction[1]) / denominator;
  } else {
    if (!/^-?(?:\d+\.?\d*|\.\d+)$/.test(text)) return null;
    value = Number(text);
  }
  if (!Number.isFinite(value)) return null;
  // Round away binary noise from fractions (1/3 → 0.333333333333) so the string is stable.
  return String(Number(value.toPrecision(12)));
}

/** The answer number from a model's response, normalised, or null when there is none. */
export function extractGsm8kAnswer(text: string): string | null {
  const markers = [...text.matchAll(/answer\s*(?:is)?\s*[:：]|####|\\boxed\{/gi)];
  for (let index = markers.length - 1; index >= 0; index--) {
    const marker = markers[index]!;
    const after = text.slice(marker.index + marker[0].length);
    // The number must come soon after the marker (on its line, past markdown such as `**`).
    const line = after.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
    // "Answer: 3 + 4 = 7": the result is after the last `=`.
    const window = line.includes('=') ? line.slice(line.lastIndexOf('=') + 1) : line;
    const first = numberTokens(window)[0];
    if (first !== undefined) {
      const normalized = normalizeNumber(first);
      if (normalized !== null) return normalized;
    }
  }
  const tokens = numberTokens(text);
  for (let index = tokens.length - 1; index >= 0; index--) {
    const normalized = normalizeNumber(tokens[index]!);
    if (normalized !== null) return normalized;
  }
  return null;
}

/** Whether two normalised numbers are equal (relative tolerance 1e-9, for fractions written as decimals). */
export function numbersEqual(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
}

export function scoreGsm8k(extracted: string | null, reference: Gsm8kReference): Score {
  if (extracted === null) return { correct: false, detail: 'no number found in the answer' };
  const expected = normalizeNumber(reference.answer);
  if (expected === null) return { correct: false, detail: `reference "${reference.answer}" is not a number` };
  if (numbersEqual(extracted, expected)) return { correct: true };
  return { correct: false, detail: `answered ${extracted}, expected ${expected}` };
}

/** The reference number of a GSM8K solution: the text after the last `#### `, commas removed. */
export function gsm8kReferenceAnswer(solution: string): string | null {
  const index = solution.lastIndexOf('####');
  if (index < 0) return null;
  const written = solution.slice(index + 4).trim();
  return written.replace(/,/g, '') || null;
}

export async function loadGsm8k(source: string): Promise<Suite> {
  const rows = await readJsonLinesRows(source, ['question', 'answer']);
  const items: SuiteItem[] = rows.map((row, index) => {
    const answer = gsm8kReferenceAnswer(row.answer as string);
    if (answer === null || normalizeNumber(answer) === null) {
      throw new Error(`${source}: row ${index + 1} has no "#### <number>" final answer`);
    }
    const reference: Gsm8kReference = { answer };
    return { id: String(index), prompt: fillTemplate(GSM8K_TEMPLATE, { question: row.question as string }), reference };
  });
  return {
    name: 'gsm8k',
    description: 'GSM8K: grade-school math word problems; numeric exact match on the final answer.',
    template: GSM8K_TEMPLATE,
    maxTokens: 2048,
    items,
    extract: (answer) => extractGsm8kAnswer(answer),
    score: (extracted, item) => scoreGsm8k(extracted, item.reference as Gsm8kReference),
  };
}
