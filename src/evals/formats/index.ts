/**
 * The suites Agora knows, by name: each reads its documented format from any path or URL, and
 * defaults to the copy under `../shared/datasets/` (or `$AGORA_DATASETS`) when no source is given.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Suite } from '../suite.js';
import { loadGsm8k } from './gsm8k.js';
import { loadHumanEval } from './humaneval.js';
import { loadIfeval } from './ifeval.js';
import { loadMath500 } from './math500.js';
import { loadMmlu } from './mmlu.js';

export interface SuiteFormat {
  load: (source: string) => Promise<Suite>;
  /** The file or folder under the datasets folder. */
  defaultPath: string;
  format: string;
}

export const SUITES: Readonly<Record<string, SuiteFormat>> = {
  gsm8k: { load: loadGsm8k, defaultPath: 'gsm8k/test.jsonl', format: 'JSON lines: {question, answer ending "#### <number>"}' },
  math500: { load: loadMath500, defaultPath: 'math500/test.jsonl', format: 'JSON lines: {problem, answer}' },
  mmlu: {
    load: loadMmlu,
    defaultPath: 'mmlu/test',
    format: 'CSV (a file or a folder of *.csv): question,choice0..choice3,answer (0-based)',
  },
  ifeval: { load: loadIfeval, defaultPath: 'ifeval/input_data.jsonl', format: 'JSON lines: {key, prompt, instruction_id_list, kwargs}' },
  humaneval: {
    load: (source) => loadHumanEval(source),
    defaultPath: 'humaneval/HumanEval.jsonl',
    format: 'JSON lines (or .jsonl.gz): {task_id, prompt, canonical_solution, test, entry_point}',
  },
};

/** Where the bundled datasets are looked for: $AGORA_DATASETS, else ../shared/datasets beside the working folder. */
export function datasetsFolder(): string {
  return process.env.AGORA_DATASETS ?? resolve('..', 'shared', 'datasets');
}

/** Reads suite `name` from `source` (a path or URL), or from its default file. */
export async function loadSuite(name: string, source?: string): Promise<{ suite: Suite; source: string }> {
  const format = SUITES[name];
  if (!format) throw new Error(`unknown suite '${name}': expected one of ${Object.keys(SUITES).join(', ')}`);
  let from = source;
  if (!from) {
    from = join(datasetsFolder(), format.defaultPath);
    if (!existsSync(from))
      throw new Error(
        `suite '${name}': no source given and ${from} does not exist; pass --file PATH|URL (${format.format}) or set AGORA_DATASETS`,
      );
  }
  return { suite: await format.load(from), source: from };
}
