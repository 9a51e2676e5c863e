/**
 * MATH-500 (and any file in the MATH JSON Lines layout): competition math, scored by comparing the
 * last `\boxed{}` answer with the reference after the standard MATH normalisation.
 *
 * Format: JSON Lines with at least `problem` and `answer` (LaTeX); `unique_id`, when present, is the
 * item id (else the 0-based row index). `solution`, `subject` and `level` are ignored.
 *
 * Extraction: the content of the last `\boxed{…}` (or `\fbox{…}`, or `\boxed x`) with balanced
 * braces; when there is none, the text after the last `Answer:`. The extracted text and the
 * reference are both normalised by {@link normalizeMathAnswer} and compared as strings.
 */

import type { Score, Suite, SuiteItem } from '../suite.js';
import { fillTemplate, readJsonLinesRows } from './source.js';

export const MATH_TEMPLATE =
  'Solve the following math problem step by step. Put your final answer, in simplest form, within \\boxed{}.\n\n' + 'Problem: {problem}';

export interface MathReference {
  /** The reference answer as in the file (LaTeX). */
  answer: string;
}

/**
 * The content of the last `\boxed{…}` or `\fbox{…}` in the text (braces balanced), or of a
 * `\boxed x` written without braces; null when there is none. A box left unclosed (a truncated
 * answer) is skipped in favour of an earlier complete one.
 */
export function lastBoxed(text: string): string | null {
  const starts = [...text.matchAll(/\\(?:boxed|fbox)/g)].map((match) => match.index + match[0].length);
  for (let index = starts.length - 1; index >= 0; index--) {
    let position = starts[index]!;
    if (text[position] === ' ' && text[position + 1] !== '{') {
      // `\boxed 5`: up to the end of the math (`$`) or of the line.
      const rest = text.slice(position + 1);
      const end = rest.search(/[$\n]/);
      const content = (end < 0 ? rest : rest.slice(0, end)).trim();
      if (content) return content;
      continue;
    }
    while (text[position] === ' ') position++;
    if (text[position] !== '{') continue;
    let depth = 0;
    for (let cursor = position; cursor < text.length; cursor++) {
      const char = text[cursor];
      if (char === '\\') {
        cursor++; // an escaped character (`\{`, `\}`) does not open or close a group
        continue;
      }
      if (char === '{') depth++;
      else if (char === '}') {
        depth--;
        if (depth === 0) return text.slice(position + 1, cursor);
      }
    }
  }
  return null;
}

/** `\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}` (Hendrycks' `_fix_fracs`). */
function fixFracs(text: string): string {
  const parts = text.split('\\frac');
  let result = parts[0]!;
  for (const part of parts.slice(1)) {
    result += '\\frac';
    if (part.startsWith('{') || part.length < 2) {
      result += part;
      continue;
    }
    const a = part[0]!;
    const b = part[1]!;
    result += b === '{' ? `{${a}}${part.slice(1)}` : `{${a}}{${b}}${part.slice(2)}`;
  }
  return result;
}

/** `\sqrt3` → `\sqrt{3}` (Hendrycks' `_fix_sqrt`). */
function fixSqrt(text: string): string {
  const parts = text.split('\\sqrt');
  let result = parts[0]!;
  for (const part of parts.slice(1)) {
    result += part.startsWith('{') || part === '' ? `\\sqrt${part}` : `\\sqrt{${part[0]}}${part.slice(1)}`;
  }
  return result;
}

/** `a/b` with integer a and b → `\frac{a}{b}` (Hendrycks' `_fix_a_slash_b`). */
function fixSlash(text: string): string {
  const match = /^(-?\d+)\/(\d+)$/.exec(text);
  return match ? `\\frac{${match[1]}}{${match[2]}}` : text;
}

/** Removes a `{command}{…}` wrapper, keeping its content (`\text{east}` → `east`), braces balanced. */
function unwrapCommand(text: string, command: string): string {
  let result = text;
  for (let start = result.indexOf(command + '{'); start >= 0; start = result.indexOf(command + '{', start)) {
    const open = start + command.length;
    let depth = 0;
    let close = -1;
    for (let cursor = open; cursor < result.length; cursor++) {
      if (result[cursor] === '{') depth++;
      else if (result[cursor] === '}' && --depth === 0) {
        close = cursor;
        break;
      }
    }
    if (close < 0) break;
    result = result.slice(0, start) + result.slice(open + 1, close) + result.slice(close + 1);
  }
  return result;
}

/**
 * The MATH answer normalisation: Hendrycks et al.'s `strip_string` (line breaks, `\!`, `\\`→`\`,
 * `\tfrac`/`\dfrac`→`\frac`, `\left`/`\right`, `^\circ`, `\$`, units after `\text{ `, a leading
 * `0` for `.5`, an `x =` prefix of two characters or fewer, `\sqrt3`, spaces, `\frac12`, `0.5`→`\frac{1}{2}`,
 * `a/b`→`\frac{a}{b}`), plus a few safe additions: `\mbox{ ` units like `\text{ `, `\text{…}` and
 * `\mbox{…}` unwrapped, `\,` `\;` `\:` spacing, `%`/`\%`, a trailing period, enclosing `$`,
 * thousands commas and trailing decimal zeros in plain numbers, and `(C)`→`C` for a lone choice letter.
 */
export function normalizeMathAnswer(answer: string): string {
  let text = answer.trim();
  text = text.replace(/\n/g, '');
  text = text.replace(/\\!/g, '');
  // Thin spaces (`\,` `\;` `\:` `\ `) go before `\\` (a matrix row break) is collapsed to `\`.
  text = text.replace(/(?<!\\)\\[,;: ]/g, ' ');
  text = text.replace(/\\\\/g, '\\');
  text = text.replace(/\\[dt]frac/g, '\\frac');
  text = text.replace(/\\left/g, '').replace(/\\right/g, '');
  text = text.replace(/\^\{\\circ\}/g, '').replace(/\^\\circ/g, '');
  text = text.replace(/\\\$/g, '');
  text = text.replace(/^\$+|\$+$/g, '');
  text = text.replace(/\\displaystyle/g, '');
  // Units: Hendrycks keeps what precedes `\text{ ` (a space after the brace marks a unit).
  for (const unit of ['\\text{ ', '\\mbox{ ']) {
    const at = text.indexOf(unit);
    if (at > 0) text = text.slice(0, at);
  }
  text = unwrapCommand(text, '\\text');
  text = unwrapCommand(text, '\\textbf');
  text = unwrapCommand(text, '\\mbox');
  text = unwrapCommand(text, '\\mathrm');
  text = text.replace(/\\%/g, '').replace(/%/g, '');
  text = text.replace(/ \./g, ' 0.').replace(/\{\./g, '{0.');
  if (text.startsWith('.')) text = '0' + text;
  const sides = text.split('=');
  if (sides.length === 2 && sides[0]!.length <= 2) text = sides[1]!;
  text = fixSqrt(text);
  text = text.replace(/\s+/g, '');
  text = text.replace(/\.$/, '');
  text = fixFracs(text);
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(text)) text = text.replace(/,/g, '');
  if (/^-?\d+\.\d+$/.test(text)) text = text.replace(/0+$/, '').replace(/\.$/, '');
  if (text === '0.5') text = '\\frac{1}{2}';
  text = fixSlash(text);
  const letter = /^\(([A-E])\)$/.exec(text);
  if (letter) text = letter[1]!;
  return text;
}

/** The model's final answer, normalised: the last `\boxed{}` (else the text after the last `Answer:`), or null. */
export function extractMathAnswer(text: string): string | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return normalizeMathAnswer(boxed);
  const markers = [...text.matchAll(/answer\s*(?:is)?\s*:/gi)];
  const last = markers[markers.length - 1];
  if (!last) return null;
  const line = text
    .slice(last.index + last[0].length)
    .split('\n')[0]!
    .replace(/\*\*/g, '')
    .trim();
  const math = /^\$+(.*?)\$+\.?$/.exec(line) ?? /^\\\((.*)\\\)\.?$/.exec(line);
  const answer = (math ? math[1]! : line).trim();
  return answer ? normalizeMathAnswer(answer) : null;
}

export function scoreMath(extracted: string | null, reference: MathReference): Score {
  if (extracted === null) return { correct: false, detail: 'no \\boxed{} answer found' };
  const expected = normalizeMathAnswer(reference.answer);
  if (extracted === expected) return { correct: true };
  return { correct: false, detail: `answered ${extracted}, expected ${expected}` };
}

export async function loadMath500(source: string): Promise<Suite> {
  const rows = await readJsonLinesRows(source, ['problem', 'answer']);
  const seen = new Set<string>();
  const items: SuiteItem[] = rows.map((row, index) => {
    const id = typeof row.unique_id === 'string' && !seen.has(row.unique_id) ? row.unique_id : String(index);
    seen.add(id);
    const reference: MathReference = { answer: row.answer as string };
    return { id, prompt: fillTemplate(MATH_TEMPLATE, { problem: row.problem as string }), reference };
  });
  return {
    name: 'math500',
    description: 'MATH-500: competition mathematics; the last \\boxed{} answer against the reference after MATH normalisation.',
    template: MATH_TEMPLATE,
    maxTokens: 4096,
    items,
    extract: (answer) => extractMathAnswer(answer),
    score: (extracted, item) => scoreMath(extracted, item.reference as MathReference),
  };
}
