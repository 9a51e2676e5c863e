/**
 * IFEval: prompts with verifiable instructions ("answer in fewer than 50 words", "no commas", "wrap
 * the answer in JSON" …), scored by rule-based checks. The score is IFEval's *prompt-level strict
 * accuracy*: an item is correct when the whole response follows every one of its instructions.
 *
 * Format: JSON Lines `{key, prompt, instruction_id_list, kwargs}` (google-research
 * `instruction_following_eval/data/input_data.jsonl`); `kwargs[i]` parameterises
 * `instruction_id_list[i]`; null arguments are ignored. The prompt is sent as is; the item id is `key`.
 *
 * The checks reimplement the semantics of upstream `instructions.py` (not its code). Where upstream
 * relies on libraries, they are approximated (see {@link countSentences}, {@link wordTokens} and
 * `language.ts`). Only the strict variant is scored (upstream's loose variant also retries with
 * markdown asterisks and the first/last line removed).
 */

import type { Score, Suite, SuiteItem } from '../suite.js';
import { detectLanguage } from './language.js';
import { readJsonLinesRows } from './source.js';

export interface IfevalReference {
  key: number | string;
  instructionIds: string[];
  kwargs: Record<string, unknown>[];
}

type Args = Record<string, unknown>;
type Check = (response: string, args: Args) => boolean;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function num(args: Args, name: string): number {
  const value = args[name];
  if (typeof value !== 'number') throw new Error(`argument "${name}" must be a number`);
  return value;
}

function str(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new Error(`argument "${name}" must be a string`);
  return value;
}

function strings(args: Args, name: string): string[] {
  const value = args[name];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string'))
    throw new Error(`argument "${name}" must be a list of strings`);
  return value as string[];
}

/** Upstream's two relations: `less than` → actual < n, `at least` → actual ≥ n. */
function compare(actual: number, relation: string, threshold: number): boolean {
  if (relation === 'less than') return actual < threshold;
  if (relation === 'at least') return actual >= threshold;
  throw new Error(`relation must be "less than" or "at least", not "${relation}"`);
}

/** Python's `str.isupper()`: some cased letter, and no lower-case one. */
export function isUpper(text: string): boolean {
  return /[\p{Lu}\p{Lt}]/u.test(text) && !/\p{Ll}/u.test(text);
}

/** Python's `str.islower()`: some cased letter, and no upper-case one. */
export function isLower(text: string): boolean {
  return /\p{Ll}/u.test(text) && !/[\p{Lu}\p{Lt}]/u.test(text);
}

/** Words as upstream counts them: runs of `\w` (letters, digits, underscore; Unicode-aware as in Python). */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0;
}

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'inc', 'ltd', 'co', 'corp', 'no', 'fig', 'approx',
  'u.s', 'u.k', 'a.m', 'p.m', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'mt', 'gen', 'gov',
  'sen', 'rep', 'capt', 'lt', 'col', 'sgt', 'ph.d', 'cf', 'al',
]); // prettier-ignore

/**
 * Sentences, approximating NLTK's English Punkt tokenizer (upstream `count_sentences`): a sentence
 * ends at `.`, `!` or `?` (with any closing quotes or brackets) followed by white space or the end,
 * except after a known abbreviation (Mr., e.g., etc. …), a single-letter initial (J. K.), or a list
 * number at the start of a line (`1.`); an ellipsis ends a sentence only before a capital. Line
 * breaks alone do not end a sentence (as in Punkt). Trailing text without a stop is one more sentence.
 */
export function countSentences(text: string): number {
  let count = 0;
  let start = 0;
  const stop = /([.!?]+)["'”’)\]*]*(?=\s|$)/g;
  for (const match of text.matchAll(stop)) {
    const end = match.index + match[0].length;
    const before = text.slice(start, match.index);
    const lastToken = /(\S*)$/.exec(before)![1]!;
    const marks = match[1]!;
    if (marks === '.') {
      const word = lastToken.toLowerCase().replace(/^[("'“‘[]+/, '');
      if (ABBREVIATIONS.has(word)) continue;
      if (/^\p{Lu}$/u.test(word.toUpperCase()) && /^\p{L}$/u.test(lastToken)) continue; // an initial
      if (/^\d+$/.test(lastToken) && /(?:^|\n)[ \t]*$/.test(text.slice(0, match.index - lastToken.length))) continue; // "1." list marker
    }
    if (/^\.{2,}$/.test(marks) && !/^\s*["'“‘(]*\p{Lu}/u.test(text.slice(end))) continue; // ellipsis mid-sentence
    if (/[\p{L}\p{N}]/u.test(text.slice(start, end))) count++;
    start = end;
  }
  if (/[\p{L}\p{N}]/u.test(text.slice(start))) count++;
  return count;
}

/**
 * Word tokens approximating NLTK's `word_tokenize` for the capital-word count: white-space separated,
 * punctuation split off both ends, contractions (`n't`, `'s`, `'re` …) split off, hyphenated words kept whole.
 */
export function wordTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const raw of text.split(/\s+/)) {
    const core = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.]+$/gu, '').replace(/\.$/, '');
    if (!core) continue;
    const contraction = /^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$/i.exec(core);
    if (contraction) tokens.push(contraction[1]!, contraction[2]!);
    else tokens.push(core);
  }
  return tokens;
}

/** The checks, by instruction id (upstream `instructions_registry`). */
export const IFEVAL_CHECKS: Record<string, Check> = {
  'keywords:existence': (response, args) =>
    strings(args, 'keywords').every((keyword) => new RegExp(escapeRegExp(keyword), 'i').test(response)),

  'keywords:frequency': (response, args) => {
    const occurrences = response.match(new RegExp(escapeRegExp(str(args, 'keyword').trim()), 'gi'))?.length ?? 0;
    return compare(occurrences, str(args, 'relation'), num(args, 'frequency'));
  },

  'keywords:forbidden_words': (response, args) =>
    !strings(args, 'forbidden_words').some((word) =>
      new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(word)}(?![\\p{L}\\p{N}_])`, 'iu').test(response),
    ),

  'keywords:letter_frequency': (response, args) => {
    const letter = str(args, 'letter').trim().toLowerCase();
    const occurrences = [...response.toLowerCase()].filter((char) => char === letter).length;
    return compare(occurrences, str(args, 'let_relation'), num(args, 'let_frequency'));
  },

  // Upstream counts a failure to detect any language as followed.
  'language:response_language': (response, args) => {
    const detected = detectLanguage(response);
    return detected === null || detected === str(args, 'language');
  },

  'length_constraints:number_sentences': (response, args) =>
    compare(countSentences(response), str(args, 'relation'), num(args, 'num_sentences')),

  // Paragraphs are separated by `***`; empty ones count only at either end, elsewhere they fail.
  'length_constraints:number_paragraphs': (response, args) => {
    const paragraphs = response.split(/\s?\*\*\*\s?/);
    let count = paragraphs.length;
    for (let index = 0; index < paragraphs.length; index++) {
      if (paragraphs[index]!.trim()) continue;
      if (index === 0 || index === paragraphs.length - 1) count--;
      else return false;
    }
    return count === num(args, 'num_paragraphs');
  },

  'length_constraints:number_words': (response, args) => compare(countWords(response), str(args, 'relation'), num(args, 'num_words')),

  // Paragraphs separated by blank lines ("\n\n"); the count ignores empty ones; paragraph n (1-based,
  // counted in the raw split as upstream does) must start with the word, compared lower case without
  // leading quotes and up to the first punctuation mark.
  'length_constraints:nth_paragraph_first_word': (response, args) => {
    const paragraphs = response.split('\n\n');
    const count = paragraphs.filter((paragraph) => paragraph.trim()).length;
    const nth = num(args, 'nth_paragraph');
    if (nth > count) return false;
    const paragraph = paragraphs[nth - 1]?.trim();
    if (!paragraph) return false;
    const word = paragraph.split(/\s+/)[0]!.replace(/^'+/, '').replace(/^"+/, '');
    let first = '';
    for (const char of word) {
      if ('.,?!\'"'.includes(char)) break;
      first += char.toLowerCase();
    }
    return count === num(args, 'num_paragraphs') && first === str(args, 'first_word').toLowerCase();
  },

  'detectable_content:number_placeholders': (response, args) => (response.match(/\[.*?\]/g)?.length ?? 0) >= num(args, 'num_placeholders'),

  'detectable_content:postscript': (response, args) => {
    const marker = str(args, 'postscript_marker').trim();
    const text = response.toLowerCase();
    if (marker === 'P.P.S') return /p\.\s?p\.\s?s/.test(text);
    if (marker === 'P.S.') return /p\.\s?s\./.test(text);
    return text.includes(marker.toLowerCase());
  },

  // Markdown bullets: lines starting with `* ` (not `**`) or `-`; exactly n.
  'detectable_format:number_bullet_lists': (response, args) => {
    const stars = response.match(/^\s*\*[^*].*$/gm)?.length ?? 0;
    const dashes = response.match(/^\s*-.*$/gm)?.length ?? 0;
    return stars + dashes === num(args, 'num_bullets');
  },

  'detectable_format:constrained_response': (response) =>
    ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'].some((option) => response.trim().includes(option)),

  // `*text*` and `**text**` with non-blank text on one line count (`**x**` once: its `*…*` matches are the empty `**`s).
  'detectable_format:number_highlighted_sections': (response, args) => {
    let count = 0;
    for (const match of response.match(/\*[^\n*]*\*/g) ?? []) if (match.replace(/^\*+|\*+$/g, '').trim()) count++;
    for (const match of response.match(/\*\*[^\n*]*\*\*/g) ?? []) if (match.slice(2, -2).trim()) count++;
    return count >= num(args, 'num_highlights');
  },

  // At least n sections, each started by `<splitter> <number>` (case-sensitive).
  'detectable_format:multiple_sections': (response, args) => {
    const splitter = str(args, 'section_spliter').trim();
    const sections = response.split(new RegExp(`\\s?${escapeRegExp(splitter)}\\s?\\d+\\s?`));
    return sections.length - 1 >= num(args, 'num_sections');
  },

  'detectable_format:json_format': (response) => {
    let text = response.trim();
    for (const prefix of ['```json', '```Json', '```JSON', '```']) {
      if (text.startsWith(prefix)) {
        text = text.slice(prefix.length);
        break;
      }
    }
    if (text.endsWith('```')) text = text.slice(0, -3);
    try {
      JSON.parse(text.trim());
      return true;
    } catch {
      return false;
    }
  },

  'detectable_format:title': (response) =>
    (response.match(/<<[^\n]+>>/g) ?? []).some((title) => title.replace(/^<+|>+$/g, '').trim() !== ''),

  // Exactly two non-empty, different responses separated by `******` (an empty part in the middle fails).
  'combination:two_responses': (response) => {
    const parts = response.split('******');
    const valid: string[] = [];
    for (let index = 0; index < parts.length; index++) {
      if (parts[index]!.trim()) valid.push(parts[index]!.trim());
      else if (index !== 0 && index !== parts.length - 1) return false;
    }
    return valid.length === 2 && valid[0] !== valid[1];
  },

  'combination:repeat_prompt': (response, args) =>
    response.trim().toLowerCase().startsWith(str(args, 'prompt_to_repeat').trim().toLowerCase()),

  'startend:end_checker': (response, args) =>
    response
      .trim()
      .replace(/^"+|"+$/g, '')
      .toLowerCase()
      .endsWith(str(args, 'end_phrase').trim().toLowerCase()),

  'startend:quotation': (response) => {
    const text = response.trim();
    return text.length > 1 && text.startsWith('"') && text.endsWith('"');
  },

  'change_case:capital_word_frequency': (response, args) =>
    compare(wordTokens(response).filter(isUpper).length, str(args, 'capital_relation'), num(args, 'capital_frequency')),

  // In English and all capitals (no language found counts as followed, as upstream).
  'change_case:english_capital': (response) => {
    const language = detectLanguage(response);
    return isUpper(response) && (language === null || language === 'en');
  },

  'change_case:english_lowercase': (response) => {
    const language = detectLanguage(response);
    return isLower(response) && (language === null || language === 'en');
  },

  'punctuation:no_comma': (response) => !response.includes(','),
};

/** The instruction ids a response fails (all of them for an empty response, as upstream's strict mode). */
export function failedInstructions(response: string, reference: IfevalReference): string[] {
  const failed: string[] = [];
  reference.instructionIds.forEach((id, index) => {
    const check = IFEVAL_CHECKS[id];
    if (!check) {
      failed.push(`${id} (not implemented)`);
      return;
    }
    const args = Object.fromEntries(
      Object.entries(reference.kwargs[index] ?? {}).filter(([, value]) => value !== null && value !== undefined),
    );
    try {
      if (!response.trim() || !check(response, args)) failed.push(id);
    } catch (error) {
      failed.push(`${id} (${(error as Error).message})`);
    }
  });
  return failed;
}

export function scoreIfeval(answer: string, reference: IfevalReference): Score {
  const failed = failedInstructions(answer, reference);
  if (failed.length === 0) return { correct: true };
  return { correct: false, detail: `failed: ${failed.join(', ')}` };
}

export async function loadIfeval(source: string): Promise<Suite> {
  const rows = await readJsonLinesRows(source, ['prompt']);
  const items: SuiteItem[] = rows.map((row, index) => {
    const ids = row.instruction_id_list;
    const kwargs = row.kwargs ?? [];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
      throw new Error(`${source}: row ${index + 1} has no instruction_id_list`);
    if (!Array.isArray(kwargs)) throw new Error(`${source}: row ${index + 1} has kwargs that are not a list`);
    const unknown = ids.filter((id) => !(id in IFEVAL_CHECKS));
    if (unknown.length > 0) throw new Error(`${source}: row ${index + 1} uses instructions not implemented: ${unknown.join(', ')}`);
    const key = typeof row.key === 'number' || typeof row.key === 'string' ? row.key : index;
    const reference: IfevalReference = { key, instructionIds: ids as string[], kwargs: kwargs as Record<string, unknown>[] };
    return { id: String(key), prompt: row.prompt as string, reference };
  });
  return {
    name: 'ifeval',
    description: 'IFEval: prompts with verifiable instructions; correct when every instruction is followed (prompt-level strict accuracy).',
    template: '{prompt}',
    maxTokens: 2048,
    items,
    // The whole response is what the checks read.
    extract: (answer) => answer,
    score: (extracted, item, answer) => scoreIfeval(extracted ?? answer, item.reference as IfevalReference),
  };
}
