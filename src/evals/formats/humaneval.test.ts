import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sandboxAvailability } from '../sandbox.js';
import {
  definesFunction,
  extractCodeBlock,
  extractHumanEvalCode,
  HUMANEVAL_TEMPLATE,
  loadHumanEval,
  type HumanEvalReference,
} from './humaneval.js';

const DATASET = resolve('../shared/datasets/humaneval/HumanEval.jsonl');
const unavailable = await sandboxAvailability();
const noPython = unavailable?.startsWith('no usable python3') ?? false;
if (noPython) console.warn(`HumanEval scoring tests skipped: ${unavailable}`);
if (!existsSync(DATASET)) console.warn(`HumanEval dataset tests skipped: ${DATASET} is absent`);

const ADD: HumanEvalReference = {
  task_id: 'Test/0',
  prompt: 'from typing import List\n\n\ndef add(xs: List[int]) -> int:\n    """Sum of xs."""\n',
  test: '\n\ndef check(candidate):\n    assert candidate([1, 2, 3]) == 6\n    assert candidate([]) == 0\n',
  entry_point: 'add',
};
const ROW = { ...ADD, canonical_solution: '    return sum(xs)\n' };

/** Runs `work` over items with at most `limit` at a time. */
async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('HumanEval extraction', () => {
  it('takes the last python block, else the last block, else the raw text', () => {
    const answer = 'First:\n```python\ndef a(): pass\n```\nThen:\n```\nplain\n```\nFinally:\n```python\ndef b(): pass\n```\nDone.';
    expect(extractCodeBlock(answer)).toBe('def b(): pass\n');
    expect(extractCodeBlock('Here:\n```\nx = 1\n```\n```text\ny = 2\n```')).toBe('y = 2\n');
    expect(extractCodeBlock('```py\nz = 3\n```')).toBe('z = 3\n');
    expect(extractCodeBlock('    return 1\n')).toBe('    return 1\n');
    expect(extractCodeBlock('Truncated:\n```python\ndef c():\n    return')).toBe('def c():\n    return');
    expect(extractCodeBlock('  \n')).toBeNull();
  });

  it('detects the entry point definition', () => {
    expect(definesFunction('def add(xs):\n    pass', 'add')).toBe(true);
    expect(definesFunction('    async def add (xs):', 'add')).toBe(true);
    expect(definesFunction('def add_all(xs):', 'add')).toBe(false);
    expect(definesFunction('return add(xs)', 'add')).toBe(false);
  });

  it('puts the prompt first: before a continuation, and before a full function (its imports)', () => {
    expect(extractHumanEvalCode('    return sum(xs)\n', ADD)).toBe(`${ADD.prompt}    return sum(xs)\n`);
    const full = 'def add(xs: List[int]) -> int:\n    return sum(xs)\n';
    expect(extractHumanEvalCode('```python\n' + full + '```', ADD)).toBe(`${ADD.prompt}\n\n${full}`);
    expect(extractHumanEvalCode('', ADD)).toBeNull();
  });
});

describe('loadHumanEval', () => {
  it('reads JSON Lines, gzip and URLs; ids, prompts and references', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-humaneval-'));
    try {
      const text = `${JSON.stringify(ROW)}\n${JSON.stringify({ ...ROW, task_id: 'Test/1' })}\n`;
      await writeFile(join(dir, 'he.jsonl'), text);
      await writeFile(join(dir, 'he.jsonl.gz'), gzipSync(text));
      const server = createServer((request, response) => {
        response.end(request.url === '/he.jsonl.gz' ? gzipSync(text) : 'missing');
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const port = (server.address() as { port: number }).port;
      try {
        for (const source of [join(dir, 'he.jsonl'), join(dir, 'he.jsonl.gz'), `http://127.0.0.1:${port}/he.jsonl.gz`]) {
          const suite = await loadHumanEval(source);
          expect(suite.name).toBe('humaneval');
          expect(suite.template).toBe(HUMANEVAL_TEMPLATE);
          expect(suite.items.map((item) => item.id)).toEqual(['Test/0', 'Test/1']);
          expect(suite.items[0]!.prompt).toContain('```python\nfrom typing import List');
          expect(suite.items[0]!.prompt).toContain('Reply with the complete function');
          expect(suite.items[0]!.reference).toEqual(ADD);
        }
      } finally {
        await new Promise((done) => server.close(done));
      }
      await writeFile(join(dir, 'bad.jsonl'), JSON.stringify({ ...ROW, entry_point: 'not a name' }));
      await expect(loadHumanEval(join(dir, 'bad.jsonl'))).rejects.toThrow(/entry_point/);
      await writeFile(join(dir, 'missing.jsonl'), JSON.stringify({ task_id: 'x', prompt: 'p' }));
      await expect(loadHumanEval(join(dir, 'missing.jsonl'))).rejects.toThrow(/test/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(noPython)('HumanEval scoring in the sandbox', () => {
  it('scores right, wrong, crashing, looping and empty answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-humaneval-'));
    try {
      await writeFile(join(dir, 'he.jsonl'), JSON.stringify(ROW));
      const suite = await loadHumanEval(join(dir, 'he.jsonl'), { sandbox: { timeoutMs: 3000 } });
      const item = suite.items[0]!;
      const score = async (answer: string) => suite.score(suite.extract(answer, item), item, answer);
      expect(await score('```python\ndef add(xs):\n    return sum(xs)\n```')).toEqual({ correct: true });
      expect(await score('    return sum(xs)\n')).toEqual({ correct: true });
      expect(await score('```python\ndef add(xs):\n    return 0\n```')).toEqual({ correct: false, detail: 'AssertionError' });
      expect(await score('```python\ndef add(xs):\n    return undefined_name\n```')).toEqual({
        correct: false,
        detail: "NameError: name 'undefined_name' is not defined",
      });
      expect(await score('```python\ndef add(xs):\n    while True: pass\n```')).toEqual({ correct: false, detail: 'timed out' });
      expect(await score('```python\nimport socket\ndef add(xs):\n    socket.create_connection(("1.1.1.1", 80))\n```')).toEqual({
        correct: false,
        detail: 'PermissionError: agora sandbox: socket.getaddrinfo is not allowed',
      });
      expect(await score('')).toEqual({ correct: false, detail: 'no code found in the answer' });
      // Exiting with status 0 before the tests run does not pass.
      for (const early of ['import sys\nsys.exit(0)', 'import os\nos._exit(0)']) {
        expect(await score('```python\n' + early + '\ndef add(xs):\n    return 0\n```')).toEqual({
          correct: false,
          detail: 'exited with status 0 before check() finished',
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync(DATASET))(
    'scores all 164 canonical solutions correct, as a full function in a block and as a raw continuation, and `return None` wrong',
    async () => {
      const rows = readFileSync(DATASET, 'utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as HumanEvalReference & { canonical_solution: string });
      expect(rows).toHaveLength(164);
      const suite = await loadHumanEval(DATASET, { sandbox: { timeoutMs: 30_000 } });
      expect(suite.items).toHaveLength(164);
      const byId = new Map(rows.map((row) => [row.task_id, row]));
      const forms = {
        // The prompt and the body as the full function, in a python block after some prose.
        block: (row: (typeof rows)[number]) => `Here you go:\n\n\`\`\`python\n${row.prompt}${row.canonical_solution}\`\`\`\n`,
        // Only the body, as a raw continuation of the prompt.
        continuation: (row: (typeof rows)[number]) => row.canonical_solution,
      };
      const started = performance.now();
      const runs = suite.items.flatMap((item) => Object.entries(forms).map(([form, answerFor]) => ({ item, form, answerFor })));
      const scores = await mapLimit(runs, 4, async ({ item, form, answerFor }) => {
        const answer = answerFor(byId.get(item.id)!);
        return { id: item.id, form, score: await suite.score(suite.extract(answer, item), item, answer) };
      });
      const elapsed = performance.now() - started;
      expect(scores).toHaveLength(328);
      expect(scores.filter(({ score }) => !score.correct)).toEqual([]);
      console.info(`HumanEval: 164 canonical solutions × 2 forms scored in ${(elapsed / 1000).toFixed(1)} s at concurrency 4`);

      const sample = suite.items.filter((_, index) => index % 20 === 0);
      const wrong = await mapLimit(sample, 4, async (item) => {
        const row = byId.get(item.id)!;
        const answer = `\`\`\`python\n${row.prompt}    return None\n\`\`\``;
        return suite.score(suite.extract(answer, item), item, answer);
      });
      for (const score of wrong) {
        expect(score.correct).toBe(false);
        expect(score.detail).toBeTruthy();
      }
    },
    120_000,
  );
});
