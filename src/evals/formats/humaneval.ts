/**
 * HumanEval: 164 hand-written Python functions, scored pass@1 by running the item's unit tests
 * against the model's code in the sandbox (evals/sandbox.ts).
 *
 * Format: JSON Lines (a path or an http(s) URL; `.gz` is gunzipped), one object a line with string
 * fields `task_id` (the item id), `prompt` (imports, the signature and the docstring, sometimes with
 * helper functions before it), `canonical_solution` (the reference body, unused by the scorer),
 * `test` (a `check(candidate)` function) and `entry_point` (the function's name).
 *
 * Extraction: the last ```python (or ```py) code block; when there is none, the last ``` block of
 * any kind; when there is none, the raw text (a block left unclosed by a truncated answer counts, up
 * to the end). The item's prompt always goes first: when the code does not define
 * `def <entry_point>(`, the model continued the body, so prompt + code is the function; when it does,
 * the prompt's imports and helper functions come first and the model's definition replaces the stub
 * (which is what upstream's `prompt + completion` amounts to, without failing answers that omit the
 * prompt's `from typing import List`).
 *
 * Scoring: program = extracted code + "\n\n" + test + "\n\ncheck(<entry_point>)\n", then a line
 * writing a random marker to stdout, run with {@link runPythonSandboxed}; correct when it exits 0
 * within the time limit and the marker was written (so `sys.exit(0)` before the tests does not
 * pass). Detail: the last line of stderr (e.g. `AssertionError`, `NameError: …`), or "timed out".
 * A sandbox that cannot run on this machine throws SandboxUnavailableError instead of scoring
 * everything wrong.
 */

import { randomBytes } from 'node:crypto';
import { runPythonSandboxed, type SandboxOptions } from '../sandbox.js';
import type { Score, Suite, SuiteItem } from '../suite.js';
import { fillTemplate, readJsonLinesRows } from './source.js';

export const HUMANEVAL_TEMPLATE =
  'Complete the following Python function. Reply with the complete function (its signature, any imports it needs ' +
  'and its body) in a single ```python code block.\n\n```python\n{prompt}```';

export interface HumanEvalReference {
  task_id: string;
  prompt: string;
  test: string;
  entry_point: string;
}

export interface HumanEvalOptions {
  /** Passed to the sandbox for every item (default: the sandbox's defaults, 10 s and 512 MiB). */
  sandbox?: SandboxOptions;
}

/** The code in a model's answer: the last python block, else the last block, else the raw text; null when empty. */
export function extractCodeBlock(answer: string): string | null {
  const blocks: { language: string; code: string }[] = [];
  const fence = /^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n/gm;
  let match: RegExpExecArray | null;
  let position = 0;
  fence.lastIndex = 0;
  while ((match = fence.exec(answer)) !== null) {
    if (match.index < position) continue;
    const start = match.index + match[0].length;
    const close = /^[ \t]*```[ \t]*$/m;
    const rest = answer.slice(start);
    const end = close.exec(rest);
    const code = end ? rest.slice(0, end.index) : rest;
    blocks.push({ language: match[1]!.toLowerCase(), code });
    position = end ? start + end.index + end[0].length : answer.length;
    fence.lastIndex = position;
  }
  const python = blocks.filter((block) => ['python', 'py', 'python3'].includes(block.language));
  const chosen = (python.length > 0 ? python : blocks).at(-1);
  const code = chosen ? chosen.code : answer;
  return code.trim() === '' ? null : code;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the code defines `def <name>(` at any indentation. */
export function definesFunction(code: string, name: string): boolean {
  return new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${escapeRegExp(name)}[ \\t]*\\(`, 'm').test(code);
}

/** The program to test for an answer: the item's prompt, then the extracted code (see the file's header). */
export function extractHumanEvalCode(answer: string, reference: HumanEvalReference): string | null {
  const code = extractCodeBlock(answer);
  if (code === null) return null;
  const prompt = reference.prompt.endsWith('\n') ? reference.prompt : `${reference.prompt}\n`;
  if (!definesFunction(code, reference.entry_point)) return prompt + code;
  return `${prompt}\n\n${code}`;
}

/**
 * The program run for one item: the code, the item's tests, the call of check() on the entry point,
 * and, when a marker is given, a last line that writes it to stdout: an answer that exits early with
 * status 0 (`sys.exit(0)`, `os._exit(0)` at the top level) skips it and does not pass.
 */
export function humanEvalProgram(code: string, reference: HumanEvalReference, marker?: string): string {
  const program = `${code}\n\n${reference.test}\n\ncheck(${reference.entry_point})\n`;
  if (marker === undefined) return program;
  return `${program}\nimport os as _agora_os\n_agora_os.write(1, b"\\n${marker}\\n")\n`;
}

export async function scoreHumanEval(
  extracted: string | null,
  reference: HumanEvalReference,
  sandbox: SandboxOptions = {},
): Promise<Score> {
  if (extracted === null) return { correct: false, detail: 'no code found in the answer' };
  const marker = `agora-humaneval-passed-${randomBytes(12).toString('hex')}`;
  const result = await runPythonSandboxed(humanEvalProgram(extracted, reference, marker), sandbox);
  if (result.timedOut) return { correct: false, detail: 'timed out' };
  if (result.ok && result.stdout.includes(`\n${marker}\n`)) return { correct: true };
  if (result.ok) return { correct: false, detail: 'exited with status 0 before check() finished' };
  const lastLine = result.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .at(-1);
  const detail = lastLine?.trim() ?? result.violation ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`);
  return { correct: false, detail };
}

export async function loadHumanEval(source: string, options: HumanEvalOptions = {}): Promise<Suite> {
  const rows = await readJsonLinesRows(source, ['task_id', 'prompt', 'test', 'entry_point']);
  const seen = new Set<string>();
  const items: SuiteItem[] = rows.map((row, index) => {
    const reference: HumanEvalReference = {
      task_id: row.task_id as string,
      prompt: row.prompt as string,
      test: row.test as string,
      entry_point: row.entry_point as string,
    };
    if (!/^[A-Za-z_]\w*$/.test(reference.entry_point)) {
      throw new Error(`${source}: row ${index + 1} has entry_point "${reference.entry_point}", not a Python name`);
    }
    if (seen.has(reference.task_id)) throw new Error(`${source}: row ${index + 1} repeats task_id "${reference.task_id}"`);
    seen.add(reference.task_id);
    return { id: reference.task_id, prompt: fillTemplate(HUMANEVAL_TEMPLATE, { prompt: reference.prompt }), reference };
  });
  return {
    name: 'humaneval',
    description:
      'HumanEval: Python functions from docstrings; pass@1 by running the unit tests on the answer in a sandbox (no network, time and memory limits).',
    template: HUMANEVAL_TEMPLATE,
    maxTokens: 2048,
    items,
    extract: (answer, item) => extractHumanEvalCode(answer, item.reference as HumanEvalReference),
    score: (extracted, item) => scoreHumanEval(extracted, item.reference as HumanEvalReference, options.sandbox),
  };
}
