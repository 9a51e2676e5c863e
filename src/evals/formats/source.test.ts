import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGsm8k } from './gsm8k.js';
import { loadIfeval } from './ifeval.js';
import { loadMath500 } from './math500.js';
import { loadMmlu } from './mmlu.js';
import { fillTemplate, parseJsonLines, readSourceText, sourceName } from './source.js';

const GSM8K = '{"question": "What is 2+2?", "answer": "2+2=<<2+2=4>>4\\n#### 4"}\n{"question": "Big?", "answer": "#### 1,000"}\n';
const MATH = '{"problem": "Half of 1?", "answer": "\\\\frac12", "unique_id": "test/x/1.json"}\n';
const MMLU = 'question,choice0,choice1,choice2,choice3,answer\n"1+1?",1,2,3,4,1\n';
const IFEVAL = '{"key": 7, "prompt": "No commas please.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}\n';

const files: Record<string, Buffer> = {
  '/gsm8k.jsonl': Buffer.from(GSM8K),
  '/gsm8k.jsonl.gz': gzipSync(GSM8K),
  '/math.jsonl.gz': gzipSync(MATH),
  '/astronomy_test.csv': Buffer.from(MMLU),
  '/ifeval.jsonl': Buffer.from(IFEVAL),
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const body = files[new URL(request.url ?? '/', 'http://x').pathname];
    response.writeHead(body ? 200 : 404).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('suite sources', () => {
  it('every loader reads an http URL, gunzipping .gz', async () => {
    expect((await loadGsm8k(`${base}/gsm8k.jsonl`)).items.map((item) => item.reference)).toEqual([{ answer: '4' }, { answer: '1000' }]);
    expect((await loadGsm8k(`${base}/gsm8k.jsonl.gz?token=x`)).items).toHaveLength(2);
    const math = await loadMath500(`${base}/math.jsonl.gz`);
    expect(math.items[0]!.id).toBe('test/x/1.json');
    const mmlu = await loadMmlu(`${base}/astronomy_test.csv`);
    expect(mmlu.items[0]!.id).toBe('astronomy/0');
    expect(mmlu.items[0]!.reference).toEqual({ answer: 'B', subject: 'astronomy' });
    const ifeval = await loadIfeval(`${base}/ifeval.jsonl`);
    expect(ifeval.items[0]).toMatchObject({ id: '7', prompt: 'No commas please.' });
  });

  it('a failed download names the URL and the status', async () => {
    await expect(loadGsm8k(`${base}/missing.jsonl`)).rejects.toThrow(/missing\.jsonl: HTTP 404/);
  });

  it('reads a gzipped local file and strips a byte-order mark', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'agora-source-'));
    try {
      await writeFile(join(folder, 'a.jsonl.gz'), gzipSync('\ufeff' + GSM8K));
      expect((await readSourceText(join(folder, 'a.jsonl.gz'))).startsWith('{"question"')).toBe(true);
      expect((await loadGsm8k(join(folder, 'a.jsonl.gz'))).items).toHaveLength(2);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('names a malformed JSON line', () => {
    expect(() => parseJsonLines('{"a": 1}\n\n{oops}\n', 'f.jsonl')).toThrow(/f\.jsonl: line 3 is not valid JSON/);
  });

  it('a loader names a row missing a field', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'agora-source-'));
    try {
      await writeFile(join(folder, 'bad.jsonl'), '{"question": "q"}\n');
      await expect(loadGsm8k(join(folder, 'bad.jsonl'))).rejects.toThrow(/row 1 has no string field "answer"/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('fills placeholders once, leaving braces in the values alone', () => {
    expect(fillTemplate('Q: {question} {missing}', { question: 'is {question} \\boxed{}?' })).toBe('Q: is {question} \\boxed{}? {missing}');
  });

  it('names URLs without their query', () => {
    expect(sourceName('https://example.com/data/test.jsonl.gz?x=1#y')).toBe('test.jsonl.gz');
    expect(sourceName('/tmp/a/b.csv')).toBe('b.csv');
  });
});
