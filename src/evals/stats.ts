/**
 * Statistics for benchmark scores: the Wilson score interval of an accuracy, a one-sided test of
 * whether one accuracy is significantly below another (host verification), and the median.
 */

export interface Interval {
  /** The observed proportion correct / n (0 when n is 0). */
  score: number;
  low: number;
  high: number;
}

export interface Tally {
  correct: number;
  n: number;
}

/** z for a two-sided 95% interval (1.96, the conventional rounding). */
export const Z_95 = 1.96;

/** z for a one-sided test at alpha 0.05. */
export const Z_ONE_SIDED_05 = 1.6448536269514722;

/**
 * The Wilson score interval for `correct` successes in `n` trials (default z: 95%, two-sided).
 * Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or n successes.
 * With n = 0 nothing is known: score 0, interval [0, 1].
 */
export function wilson(correct: number, n: number, z = Z_95): Interval {
  if (!(n > 0)) return { score: 0, low: 0, high: 1 };
  if (correct < 0 || correct > n) throw new RangeError(`wilson: correct (${correct}) must be between 0 and n (${n})`);
  const p = correct / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { score: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The pooled two-proportion z statistic for "b's proportion exceeds a's":
 * z = (p_b − p_a) / sqrt(p(1 − p)(1/n_a + 1/n_b)) with p the pooled proportion.
 * 0 when either sample is empty or the pooled proportion is 0 or 1 (no variance, no evidence).
 */
export function twoProportionZ(a: Tally, b: Tally): number {
  if (!(a.n > 0) || !(b.n > 0)) return 0;
  const pooled = (a.correct + b.correct) / (a.n + b.n);
  const variance = pooled * (1 - pooled) * (1 / a.n + 1 / b.n);
  if (!(variance > 0)) return 0;
  return (b.correct / b.n - a.correct / a.n) / Math.sqrt(variance);
}

/**
 * Whether accuracy `a` (a host under test) is significantly below accuracy `b` (the reference):
 * a one-sided pooled two-proportion z-test at alpha 0.05 (z > 1.645). With small samples the test
 * is conservative in the sense that it needs a large gap; with no data it never flags.
 */
export function significantlyBelow(a: Tally, b: Tally, alphaZ = Z_ONE_SIDED_05): boolean {
  return twoProportionZ(a, b) > alphaZ;
}

/** The median of the finite values (the mean of the middle two for an even count), or null when there are none. */
export function median(values: readonly number[]): number | null {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((x, y) => x - y);
  if (sorted.length === 0) return null;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
