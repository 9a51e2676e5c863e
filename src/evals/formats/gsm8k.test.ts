import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractGsm8kAnswer, gsm8kReferenceAnswer, loadGsm8k, normalizeNumber, scoreGsm8k } from './gsm8k.js';

const DATA = new URL('../../../../shared/datasets/gsm8k/test.jsonl', import.meta.url).pathname;
const missing = !existsSync(DATA);
if (missing) console.warn(`skipping GSM8K dataset tests: ${DATA} not found`);

const judge = (answer: string, reference: string) => scoreGsm8k(extractGsm8kAnswer(answer), { answer: reference });

describe('GSM8K extraction and scoring', () => {
  it.each([
    ['Answer: 18', '18'],
    ['She makes 9 * 2 = 18 dollars.\nAnswer: $18', '18'],
    ['Answer: 18.00', '18'],
    ['Answer: +18', '18'],
    ['**Answer: 1,234**', '1234'],
    ['Answer: **1,234.50**', '1234.5'],
    ['Final answer: 70,000 dollars', '70000'],
    ['Step 1: 5 + 5 = 10\n#### 10', '10'],
    ['The total is 3 + 4 = 7.\nAnswer: 3 + 4 = 7', '7'],
    ['The answer is: -3', '-3'],
    ['Answer:\n\n42', '42'],
    ['So the final result is \\boxed{25}.', '25'],
    ['First 20 eggs, then 5 more, so she has 25 eggs in total.', '25'],
    ['Answer: 50%', '50'],
    ['Answer: 3/4', '0.75'],
    ['Answer: 0.5 hours', '.5'],
  ])('%j counts as %s', (answer, reference) => {
    expect(judge(answer, reference)).toEqual({ correct: true });
  });

  it.each([
    ['Answer: 17', '18'],
    ['Answer: 180', '18'],
    ['Answer: 1.8', '18'],
    ['Answer: -18', '18'],
    ['I think it is 18.\nAnswer: 19', '18'], // the answer line wins over earlier numbers
    ['Answer: 12,345', '1234'],
  ])('%j does not count as %s', (answer, reference) => {
    const score = judge(answer, reference);
    expect(score.correct).toBe(false);
    expect(score.detail).toMatch(/answered/);
  });

  it('no number at all is wrong with a reason', () => {
    expect(extractGsm8kAnswer('I do not know.')).toBeNull();
    expect(scoreGsm8k(null, { answer: '3' })).toEqual({ correct: false, detail: 'no number found in the answer' });
  });

  it('takes the number after the last Answer:, not an earlier one', () => {
    expect(extractGsm8kAnswer('Answer: 3\nWait, I made a mistake.\nAnswer: 4')).toBe('4');
  });

  it('a hyphen between numbers is not a minus sign', () => {
    expect(extractGsm8kAnswer('It takes 3-4 hours')).toBe('4');
  });

  it('normalises written numbers', () => {
    expect(normalizeNumber('$1,000.00')).toBe('1000');
    expect(normalizeNumber('−5')).toBe('-5');
    expect(normalizeNumber('1/3')).toBe('0.333333333333');
    expect(normalizeNumber('abc')).toBeNull();
    expect(normalizeNumber('1/0')).toBeNull();
  });

  it('reads the reference after ####, commas removed', () => {
    expect(gsm8kReferenceAnswer('Some work <<2*3=6>>6\n#### 1,600')).toBe('1600');
    expect(gsm8kReferenceAnswer('no marker')).toBeNull();
  });
});

describe('GSM8K loader', () => {
  it.skipIf(missing)('reads 1,319 items, and every reference given as the answer scores correct', async () => {
    const suite = await loadGsm8k(DATA);
    expect(suite.name).toBe('gsm8k');
    expect(suite.items).toHaveLength(1319);
    expect(suite.items[0]!.id).toBe('0');
    expect(suite.items[0]!.prompt).toContain('Janet');
    expect(suite.items[0]!.prompt).toContain('Answer: <number>');
    const wrong = [];
    for (const item of suite.items) {
      const reference = (item.reference as { answer: string }).answer;
      const answer = `Let me work through it step by step: 2 + 2 = 4.\nAnswer: ${reference}`;
      const score = await suite.score(suite.extract(answer, item), item, answer);
      if (!score.correct) wrong.push(item.id);
    }
    expect(wrong).toEqual([]);
    // And a wrong answer on each item is wrong.
    const item = suite.items[0]!;
    expect((await suite.score(suite.extract('Answer: 17', item), item, 'Answer: 17')).correct).toBe(false);
  });
});
