/**
 * MMLU: four-choice questions in 57 subjects, scored by the chosen letter.
 *
 * Format: CSV (RFC 4180: quoted fields with commas, doubled quotes and line breaks). With a header
 * row `question,choice0,choice1,choice2,choice3,answer` the answer is a 0-based index (the
 * `cais/mmlu` layout); without one, the columns are the same and the answer may be an index or a
 * letter A–D (the original release). The source is one CSV (path or URL) or a directory: every
 * `*.csv` in it, by name; a directory with no CSV but a `test/` folder reads `test/`. The subject is
 * the file name without `_test.csv`/`_dev.csv`/`_val.csv`/`.csv`; item ids are `${subject}/${row}` (0-based).
 *
 * Extraction: `Answer: X` (the last one), `answer is (X)`, or a response that is a lone letter
 * (`B`, `(B)`, `B.`); letters A–D, case-insensitive only after `Answer:`.
 */

import { join } from 'node:path';
import type { Score, Suite, SuiteItem } from '../suite.js';
import { fillTemplate, isDirectory, listFiles, readSourceText, sourceName } from './source.js';

export const MMLU_TEMPLATE =
  'Answer the following multiple-choice question about {subject}. Think it through if you need to, then end your ' +
  'response with a final line of the form "Answer: X", where X is one of A, B, C or D.\n\n' +
  '{question}\n\nA. {A}\nB. {B}\nC. {C}\nD. {D}';

export const MMLU_LETTERS = ['A', 'B', 'C', 'D'] as const;

export interface MmluReference {
  /** The correct letter, A–D. */
  answer: string;
  subject: string;
}

/**
 * Parses CSV text (RFC 4180): fields separated by commas, records by CRLF or LF; a field in double
 * quotes may hold commas, line breaks and `""` for a quote. A blank last line is not a record.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index++;
        } else {
          quoted = false;
        }
      } else {
        field += char;
      }
      continue;
    }
    if (char === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
      fieldStarted = false;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (quoted) throw new Error('CSV: a quoted field is not closed');
  if (fieldStarted || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((row) => !(row.length === 1 && row[0] === ''));
}

/** The subject named by a file: `high_school_physics_test.csv` → `high_school_physics`. */
export function mmluSubject(fileName: string): string {
  return fileName.replace(/\.gz$/i, '').replace(/(?:_(?:test|dev|val))?\.csv$/i, '');
}

function answerLetter(written: string): string | null {
  const text = written.trim().toUpperCase();
  if (/^[0-3]$/.test(text)) return MMLU_LETTERS[Number(text)]!;
  if (/^[A-D]$/.test(text)) return text;
  return null;
}

/** The items of one MMLU CSV. */
export function mmluItems(text: string, subject: string, source: string): SuiteItem[] {
  const records = parseCsv(text);
  const header = records[0];
  const hasHeader = header !== undefined && header[0]?.trim().toLowerCase() === 'question' && header[5]?.trim().toLowerCase() === 'answer';
  const rows = hasHeader ? records.slice(1) : records;
  const readable = subject.replace(/_/g, ' ');
  return rows.map((row, index) => {
    if (row.length !== 6) throw new Error(`${source}: record ${index + 1} has ${row.length} fields, expected 6`);
    const answer = answerLetter(row[5]!);
    if (answer === null) throw new Error(`${source}: record ${index + 1} has answer "${row[5]}", expected 0–3 or A–D`);
    const reference: MmluReference = { answer, subject };
    const prompt = fillTemplate(MMLU_TEMPLATE, {
      subject: readable,
      question: row[0]!.trim(),
      A: row[1]!.trim(),
      B: row[2]!.trim(),
      C: row[3]!.trim(),
      D: row[4]!.trim(),
    });
    return { id: `${subject}/${index}`, prompt, reference };
  });
}

/** The CSV files a source names: itself, or the `*.csv` (and `*.csv.gz`) in a directory (or its `test/`). */
async function mmluFiles(source: string): Promise<string[]> {
  if (!(await isDirectory(source))) return [source];
  const pattern = /\.csv(?:\.gz)?$/i;
  let files = await listFiles(source, pattern);
  if (files.length === 0 && (await isDirectory(join(source, 'test')))) files = await listFiles(join(source, 'test'), pattern);
  if (files.length === 0) throw new Error(`${source}: no *.csv files`);
  return files;
}

/** The letter chosen in a response, or null. */
export function extractMmluAnswer(text: string): string | null {
  const cleaned = text.replace(/\*\*|__/g, '');
  // The letter is upper case unless it stands alone at the end of its line ("answer: b"); the
  // statement that comes last wins ("Answer: A … on reflection, the answer is (B)" is B).
  const patterns = [
    /\b(?:answer|Answer|ANSWER)\s*(?:is\s*)?[:：]\s*\(?\s*([A-D])(?![\w'])/g,
    /\banswer\s*(?:is\s*)?[:：]\s*\(?([a-d])\)?\.?[ \t]*$/gim,
    /\b[Aa]nswer\s+(?:is|would be|should be)\s+(?:option\s+|choice\s+)?\(?([A-D])\b/g,
  ];
  let best: { at: number; letter: string } | null = null;
  for (const pattern of patterns) {
    for (const match of cleaned.matchAll(pattern)) {
      if (!best || match.index > best.at) best = { at: match.index, letter: match[1]!.toUpperCase() };
    }
  }
  return best ? best.letter : lone(cleaned.trim());
}

/** A response that is just a letter (`B`, `(B)`, `B.`) or starts with one as a choice label (`B) Paris`). */
function lone(text: string): string | null {
  const match = /^\(?([A-D])(?:[).:]?$|[).:]\s)/.exec(text);
  return match ? match[1]! : null;
}

export function scoreMmlu(extracted: string | null, reference: MmluReference): Score {
  if (extracted === null) return { correct: false, detail: 'no answer letter found' };
  if (extracted === reference.answer) return { correct: true };
  return { correct: false, detail: `answered ${extracted}, expected ${reference.answer}` };
}

export async function loadMmlu(source: string): Promise<Suite> {
  const items: SuiteItem[] = [];
  for (const file of await mmluFiles(source)) {
    items.push(...mmluItems(await readSourceText(file), mmluSubject(sourceName(file)), file));
  }
  return {
    name: 'mmlu',
    description: 'MMLU: four-choice questions in 57 subjects; the chosen letter against the reference.',
    template: MMLU_TEMPLATE,
    maxTokens: 1024,
    items,
    extract: (answer) => extractMmluAnswer(answer),
    score: (extracted, item) => scoreMmlu(extracted, item.reference as MmluReference),
  };
}
