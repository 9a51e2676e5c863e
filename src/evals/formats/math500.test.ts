import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractMathAnswer, lastBoxed, loadMath500, normalizeMathAnswer, scoreMath } from './math500.js';

const DATA = new URL('../../../../shared/datasets/math500/test.jsonl', import.meta.url).pathname;
const missing = !existsSync(DATA);
if (missing) console.warn(`skipping MATH-500 dataset tests: ${DATA} not found`);

const judge = (answer: string, reference: string) => scoreMath(extractMathAnswer(answer), { answer: reference });

describe('MATH answer extraction', () => {
  it('takes the last \\boxed{} with balanced braces', () => {
    expect(lastBoxed('first \\boxed{1}, then \\boxed{\\frac{1}{2}}.')).toBe('\\frac{1}{2}');
    expect(lastBoxed('\\boxed{\\{1, 2\\}}')).toBe('\\{1, 2\\}');
    expect(lastBoxed('$\\fbox{7}$')).toBe('7');
    expect(lastBoxed('so $\\boxed 5$.')).toBe('5');
    expect(lastBoxed('\\boxed {3}')).toBe('3');
    expect(lastBoxed('no box here')).toBeNull();
  });

  it('skips a box left unclosed by a truncated answer', () => {
    expect(lastBoxed('\\boxed{4} and then \\boxed{\\frac{1}{')).toBe('4');
  });

  it('falls back to an Answer: line without a box', () => {
    expect(extractMathAnswer('Answer: $\\frac{1}{2}$')).toBe('\\frac{1}{2}');
    expect(extractMathAnswer('I give up.')).toBeNull();
  });
});

describe('MATH normalisation (Hendrycks strip_string and additions)', () => {
  it.each([
    ['\\dfrac{1}{2}', '\\frac{1}{2}'],
    ['\\tfrac12', '\\frac{1}{2}'],
    ['0.5', '\\frac{1}{2}'],
    ['1/2', '\\frac{1}{2}'],
    ['\\frac 59', '\\frac{5}{9}'],
    ['\\frac9{19}', '\\frac{9}{19}'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
    ['90^\\circ', '90'],
    ['90^{\\circ}', '90'],
    ['\\$18.90', '18.9'],
    ['5.4 \\text{ cents}', '5.4'],
    ['864 \\mbox{ inches}^2', '864'],
    ['x = 5', '5'],
    ['11\\sqrt2', '11\\sqrt{2}'],
    ['10,\\!080', '10080'],
    ['.35625', '0.35625'],
    ['\\text{(C)}', 'C'],
    ['\\text{Evelyn}', 'Evelyn'],
    ['50\\%', '50'],
    ['5.0', '5'],
    ['1,\\! 000', '1000'],
    ['\\begin{pmatrix} -2 \\\\ -14 \\end{pmatrix}', '\\begin{pmatrix}-2\\-14\\end{pmatrix}'],
  ])('%s → %s', (input, output) => {
    expect(normalizeMathAnswer(input)).toBe(output);
  });
});

describe('MATH scoring', () => {
  it.each([
    ['So the answer is $\\boxed{\\frac{14}{3}}$.', '\\frac{14}{3}'],
    ['$\\boxed{\\dfrac{14}{3}}$', '\\frac{14}{3}'],
    ['\\boxed{14/3}', '\\frac{14}{3}'],
    ['\\boxed{0.5}', '\\frac12'],
    ['\\boxed{(3, \\frac{\\pi}{2})}', '\\left( 3, \\frac{\\pi}{2} \\right)'],
    ['\\boxed{90}', '90^\\circ'],
    ['\\boxed{90^\\circ}', '90'],
    ['\\boxed{x=5}', 'x=5'],
    ['\\boxed{5}', 'x=5'],
    ['\\boxed{\\$32,348}', '\\$32,\\!348'],
    ['\\boxed{32348}', '\\$32,\\!348'],
    ['\\boxed{\\text{(C)}}', '\\text{(C)}'],
    ['\\boxed{C}', '\\text{(C)}'],
    ['\\boxed{Evelyn}', '\\text{Evelyn}'],
    ['\\boxed{2x + 3}', 'y = 2x + 3'],
    ['\\boxed{3\\sqrt{13}}', '3\\sqrt{13}'],
    ['\\boxed{3 \\sqrt{13}}', '3\\sqrt{13}'],
  ])('%j is right for %s', (answer, reference) => {
    expect(judge(answer, reference)).toEqual({ correct: true });
  });

  it.each([
    ['\\boxed{\\frac{14}{5}}', '\\frac{14}{3}'],
    ['\\boxed{4.67}', '\\frac{14}{3}'],
    ['\\boxed{3\\sqrt{12}}', '3\\sqrt{13}'],
    ['\\boxed{(3, \\pi)}', '\\left( 3, \\frac{\\pi}{2} \\right)'],
    ['\\boxed{91}', '90^\\circ'],
    ['\\boxed{-5}', 'x=5'],
    ['\\boxed{B}', '\\text{(C)}'],
    ['\\boxed{5} and later \\boxed{6}', '5'],
  ])('%j is wrong for %s', (answer, reference) => {
    const score = judge(answer, reference);
    expect(score.correct).toBe(false);
    expect(score.detail).toMatch(/expected/);
  });

  it('no box is wrong with a reason', () => {
    expect(scoreMath(null, { answer: '1' })).toEqual({ correct: false, detail: 'no \\boxed{} answer found' });
  });
});

describe('MATH-500 loader', () => {
  it.skipIf(missing)('reads 500 items keyed by unique_id, and every reference in \\boxed{} scores correct', async () => {
    const suite = await loadMath500(DATA);
    expect(suite.name).toBe('math500');
    expect(suite.items).toHaveLength(500);
    expect(suite.items[0]!.id).toBe('test/precalculus/807.json');
    expect(new Set(suite.items.map((item) => item.id)).size).toBe(500);
    expect(suite.items[0]!.prompt).toContain('\\boxed{}');
    const wrong = [];
    for (const item of suite.items) {
      const reference = (item.reference as { answer: string }).answer;
      const answer = `We compute carefully, so $x = \\boxed{1}$ is tempting but wrong.\n\nThe final answer is $\\boxed{${reference}}$.`;
      const score = await suite.score(suite.extract(answer, item), item, answer);
      if (!score.correct) wrong.push(`${item.id}: ${score.detail}`);
    }
    expect(wrong).toEqual([]);
  });
});
