import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractMmluAnswer, loadMmlu, mmluSubject, parseCsv, scoreMmlu } from './mmlu.js';

const DATA = new URL('../../../../shared/datasets/mmlu/', import.meta.url).pathname;
const missing = !existsSync(join(DATA, 'test'));
if (missing) console.warn(`skipping MMLU dataset tests: ${DATA}test not found`);

describe('CSV parser', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const text = 'question,choice0\n"Is 1,2 a ""pair""?","line one\nline two"\r\nplain,"x"\n';
    expect(parseCsv(text)).toEqual([
      ['question', 'choice0'],
      ['Is 1,2 a "pair"?', 'line one\nline two'],
      ['plain', 'x'],
    ]);
  });

  it('keeps empty fields and a last record without a line break', () => {
    expect(parseCsv('a,,c\n,"",')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
  });

  it('keeps quotes inside an unquoted field as they are', () => {
    expect(parseCsv('5" pipe,ok')).toEqual([['5" pipe', 'ok']]);
  });

  it('refuses an unclosed quoted field', () => {
    expect(() => parseCsv('"open,1\n')).toThrow(/not closed/);
  });
});

describe('MMLU extraction and scoring', () => {
  it.each([
    ['Answer: B', 'B'],
    ['The capital is Paris.\nAnswer: B', 'B'],
    ['**Answer: B**', 'B'],
    ['Answer: **B**', 'B'],
    ['Answer: (B)', 'B'],
    ['Answer: B. Paris', 'B'],
    ['answer: b', 'B'],
    ['The answer is (B).', 'B'],
    ['The correct answer is B because ...', 'B'],
    ['B', 'B'],
    ['(B)', 'B'],
    ['B.', 'B'],
    ['B) Paris', 'B'],
    ['Answer: A\nOn reflection, that is wrong.\nAnswer: B', 'B'],
    ['Answer: A looks tempting, but on reflection the answer is (B).', 'B'],
  ])('%j chooses %s', (answer, letter) => {
    expect(extractMmluAnswer(answer)).toBe(letter);
    expect(scoreMmlu(extractMmluAnswer(answer), { answer: letter, subject: 's' })).toEqual({ correct: true });
  });

  it.each([
    ['Answer: C', 'B'],
    ['The answer is (A).', 'B'],
    ['D', 'B'],
  ])('%j is wrong when the answer is %s', (answer, letter) => {
    expect(scoreMmlu(extractMmluAnswer(answer), { answer: letter, subject: 's' })).toEqual({
      correct: false,
      detail: `answered ${extractMmluAnswer(answer)}, expected ${letter}`,
    });
  });

  it.each([
    'A good question; I cannot tell.',
    'I am not sure.',
    'Answer: a bit of both',
    'Answer: E',
    'The answer is a matter of opinion.',
  ])('%j chooses nothing', (answer) => {
    expect(extractMmluAnswer(answer)).toBeNull();
  });

  it('no letter is wrong with a reason', () => {
    expect(scoreMmlu(null, { answer: 'A', subject: 's' })).toEqual({ correct: false, detail: 'no answer letter found' });
  });
});

describe('MMLU loader', () => {
  it('names subjects from file names', () => {
    expect(mmluSubject('high_school_physics_test.csv')).toBe('high_school_physics');
    expect(mmluSubject('anatomy_dev.csv')).toBe('anatomy');
    expect(mmluSubject('custom.csv')).toBe('custom');
  });

  it('reads a directory of CSVs in name order, with and without a header, index or letter answers', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'agora-mmlu-'));
    try {
      await writeFile(join(folder, 'b_subject_test.csv'), 'question,choice0,choice1,choice2,choice3,answer\n"Q1, with comma",w,x,y,z,2\n');
      await writeFile(join(folder, 'a_subject_test.csv'), '"Multi\nline",1,2,3,4,D\nSecond,1,2,3,4,A\n');
      await writeFile(join(folder, 'notes.txt'), 'ignored');
      const suite = await loadMmlu(folder);
      expect(suite.items.map((item) => item.id)).toEqual(['a_subject/0', 'a_subject/1', 'b_subject/0']);
      expect(suite.items.map((item) => (item.reference as { answer: string }).answer)).toEqual(['D', 'A', 'C']);
      expect(suite.items[2]!.prompt).toContain('Q1, with comma\n\nA. w\nB. x\nC. y\nD. z');
      expect(suite.items[2]!.prompt).toContain('about b subject');
      const single = await loadMmlu(join(folder, 'b_subject_test.csv'));
      expect(single.items.map((item) => item.id)).toEqual(['b_subject/0']);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses a record without six fields', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'agora-mmlu-'));
    try {
      await writeFile(join(folder, 'x_test.csv'), 'question,choice0,choice1,choice2,choice3,answer\nQ,1,2,3,0\n');
      await expect(loadMmlu(folder)).rejects.toThrow(/5 fields, expected 6/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it.skipIf(missing)('reads the 14,042 test questions, and every reference letter as the answer scores correct', async () => {
    const suite = await loadMmlu(join(DATA, 'test'));
    expect(suite.name).toBe('mmlu');
    expect(suite.items).toHaveLength(14042);
    expect(suite.items[0]!.id).toBe('abstract_algebra/0');
    expect(new Set(suite.items.map((item) => item.id)).size).toBe(14042);
    expect(new Set(suite.items.map((item) => item.id.split('/')[0])).size).toBe(57);
    expect(suite.items.filter((item) => item.id.startsWith('professional_law/'))).toHaveLength(1534);
    const counts: Record<string, number> = {};
    const wrong = [];
    for (const item of suite.items) {
      const letter = (item.reference as { answer: string }).answer;
      counts[letter] = (counts[letter] ?? 0) + 1;
      const answer = `Let me consider each option.\nAnswer: ${letter}`;
      const score = await suite.score(suite.extract(answer, item), item, answer);
      if (!score.correct) wrong.push(item.id);
    }
    expect(wrong).toEqual([]);
    // The answer distribution SOURCE.md states (0: 3,222; 1: 3,462; 2: 3,582; 3: 3,776).
    expect(counts).toEqual({ A: 3222, B: 3462, C: 3582, D: 3776 });
  });

  it.skipIf(missing)('reads the dataset folder itself as its test split', async () => {
    expect((await loadMmlu(DATA)).items).toHaveLength(14042);
  });
});
