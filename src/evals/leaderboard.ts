/**
 * The leaderboard: per model, its latest finished benchmark run of each suite (score with a 95%
 * Wilson interval), the Agora index, the blended price and the speed its hosts were measured at.
 *
 * The Agora index is a weighted mean of suite scores (0–100), weights:
 *   MMLU 0.25 (knowledge), GSM8K 0.20 and MATH-500 0.20 (reasoning), HumanEval 0.20 (code),
 *   IFEval 0.15 (instruction following).
 * A model run on only some suites gets the weighted mean of those, with `coverage` (the weights
 * present, 0–1) beside it: compare indices of equal coverage. Any other suite counts with weight 0.1.
 * Blended price, as Artificial Analysis defines it: (3 × input + output) / 4, USD per 1M tokens, at
 * the model's cheapest enabled host. Speed: the median over speed probes of the last 7 days of
 * output tokens per second after the first token, and of time to first token.
 */
import type { EvalRunRow, ProbeRow, RunTotals } from '../store/repos/evals.js';
import { median, wilson } from './stats.js';

export const INDEX_WEIGHTS: Readonly<Record<string, number>> = { mmlu: 0.25, gsm8k: 0.2, math500: 0.2, humaneval: 0.2, ifeval: 0.15 };
const OTHER_WEIGHT = 0.1;

export interface SuiteScore {
  suite: string;
  run_id: string;
  provider: string | null;
  /** Percent. */
  score: number;
  ci_low: number;
  ci_high: number;
  n: number;
  cost_usd: number;
  prompt_tokens: number;
  completion_tokens: number;
  wall_ms: number;
  temperature: number;
  seed: number | null;
  finished_at: string;
}

export interface LeaderboardRow {
  model: string;
  index: number | null;
  coverage: number;
  suites: Record<string, SuiteScore>;
  blended_price: number | null;
  cheapest_provider: string | null;
  median_output_tps: number | null;
  median_ttft_ms: number | null;
  probes: number;
}

export interface PriceOf {
  (model: string): { blended: number; provider: string } | undefined;
}

export function leaderboard(runs: Array<{ run: EvalRunRow; totals: RunTotals }>, probes: ProbeRow[], priceOf: PriceOf): LeaderboardRow[] {
  // The latest finished run per model and suite (runs come newest first).
  const latest = new Map<string, Map<string, { run: EvalRunRow; totals: RunTotals }>>();
  for (const entry of runs) {
    if (entry.run.status !== 'done' || entry.totals.n === 0) continue;
    const bySuite = latest.get(entry.run.model) ?? new Map<string, { run: EvalRunRow; totals: RunTotals }>();
    if (!bySuite.has(entry.run.suite)) bySuite.set(entry.run.suite, entry);
    latest.set(entry.run.model, bySuite);
  }
  const probesOf = new Map<string, ProbeRow[]>();
  for (const probe of probes) {
    if (probe.error) continue;
    const list = probesOf.get(probe.model) ?? [];
    list.push(probe);
    probesOf.set(probe.model, list);
  }
  const rows: LeaderboardRow[] = [];
  for (const model of new Set([...latest.keys(), ...probesOf.keys()])) {
    const suites: Record<string, SuiteScore> = {};
    let weighted = 0;
    let weights = 0;
    for (const [suite, { run, totals }] of latest.get(model) ?? []) {
      const interval = wilson(totals.correct, totals.n);
      suites[suite] = {
        suite,
        run_id: run.id,
        provider: run.provider,
        score: round(interval.score * 100),
        ci_low: round(interval.low * 100),
        ci_high: round(interval.high * 100),
        n: totals.n,
        cost_usd: totals.cost_usd,
        prompt_tokens: totals.prompt_tokens,
        completion_tokens: totals.completion_tokens,
        wall_ms: run.wall_ms,
        temperature: run.temperature,
        seed: run.seed,
        finished_at: new Date(run.updated_at).toISOString(),
      };
      const weight = INDEX_WEIGHTS[suite] ?? OTHER_WEIGHT;
      weighted += weight * interval.score * 100;
      weights += weight;
    }
    const own = probesOf.get(model) ?? [];
    const price = priceOf(model);
    rows.push({
      model,
      index: weights > 0 ? round(weighted / weights) : null,
      coverage: round(Math.min(weights, 1), 2),
      suites,
      blended_price: price ? round(price.blended, 4) : null,
      cheapest_provider: price?.provider ?? null,
      median_output_tps: own.length > 0 ? round(median(own.map((probe) => probe.output_tps)) ?? 0) : null,
      median_ttft_ms: own.length > 0 ? round(median(own.map((probe) => probe.ttft_ms)) ?? 0) : null,
      probes: own.length,
    });
  }
  return rows.sort((left, right) => (right.index ?? -1) - (left.index ?? -1) || left.model.localeCompare(right.model));
}

/** Artificial Analysis's blended price: (3 × input + output) / 4, USD per 1M tokens. */
export function blendedPrice(prompt: number, completion: number): number {
  return (3 * prompt + completion) / 4;
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
