import { describe, expect, it } from 'vitest';
import { median, significantlyBelow, twoProportionZ, wilson } from './stats.js';

describe('wilson', () => {
  it.each([
    [50, 100, 0.4038, 0.5962],
    [81, 263, 0.2553, 0.3662],
    [0, 10, 0, 0.2775],
    [10, 10, 0.7225, 1],
    [1, 1, 0.2065, 1],
    [5, 20, 0.1119, 0.4687],
    [900, 1000, 0.8798, 0.9171],
  ])('%i of %i → [%f, %f]', (correct, n, low, high) => {
    const interval = wilson(correct, n);
    expect(interval.score).toBeCloseTo(correct / n, 12);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
    expect(interval.low).toBeLessThanOrEqual(interval.score);
    expect(interval.high).toBeGreaterThanOrEqual(interval.score);
  });

  it('narrows with a smaller z', () => {
    const wide = wilson(30, 60);
    const narrow = wilson(30, 60, 1);
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
  });

  it('knows nothing with no trials, and refuses impossible counts', () => {
    expect(wilson(0, 0)).toEqual({ score: 0, low: 0, high: 1 });
    expect(() => wilson(11, 10)).toThrow(RangeError);
  });

  it('covers the true proportion about 95% of the time', () => {
    // Deterministic pseudo-random draws (a linear congruential generator) of n = 200 at p = 0.7.
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let covered = 0;
    const runs = 2000;
    for (let run = 0; run < runs; run++) {
      let correct = 0;
      for (let i = 0; i < 200; i++) if (random() < 0.7) correct++;
      const { low, high } = wilson(correct, 200);
      if (low <= 0.7 && 0.7 <= high) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.93);
    expect(covered / runs).toBeLessThan(0.97);
  });
});

describe('significantlyBelow (one-sided pooled two-proportion z-test, alpha 0.05)', () => {
  it('computes the pooled z statistic', () => {
    expect(twoProportionZ({ correct: 80, n: 100 }, { correct: 90, n: 100 })).toBeCloseTo(1.9803, 4);
    expect(twoProportionZ({ correct: 85, n: 100 }, { correct: 90, n: 100 })).toBeCloseTo(1.069, 3);
    expect(twoProportionZ({ correct: 420, n: 500 }, { correct: 450, n: 500 })).toBeCloseTo(2.8209, 4);
  });

  it('flags a clear gap and not a small one', () => {
    expect(significantlyBelow({ correct: 80, n: 100 }, { correct: 90, n: 100 })).toBe(true);
    expect(significantlyBelow({ correct: 85, n: 100 }, { correct: 90, n: 100 })).toBe(false);
    expect(significantlyBelow({ correct: 420, n: 500 }, { correct: 450, n: 500 })).toBe(true);
  });

  it('is one-sided: being above the reference is never flagged', () => {
    expect(significantlyBelow({ correct: 90, n: 100 }, { correct: 50, n: 100 })).toBe(false);
  });

  it('does not flag without evidence', () => {
    expect(significantlyBelow({ correct: 0, n: 0 }, { correct: 10, n: 10 })).toBe(false);
    expect(significantlyBelow({ correct: 10, n: 10 }, { correct: 10, n: 10 })).toBe(false);
    expect(significantlyBelow({ correct: 0, n: 10 }, { correct: 0, n: 10 })).toBe(false);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('ignores non-finite values and is null for none', () => {
    expect(median([])).toBeNull();
    expect(median([Number.NaN, 5, Number.POSITIVE_INFINITY, 1])).toBe(3);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
