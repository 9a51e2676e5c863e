/**
 * Market share from the rollups, never from the raw records: the window (a calendar period — the
 * UTC day, the ISO week starting Monday, the month — or an explicit `from`/`to`), each name's
 * counts, its share of the metric in percent, its rank, and its change against the window before
 * (the previous calendar period, or the same length before `from`). `series` adds the metric per day
 * or hour for the top names, for a stacked share chart. The cost of a query grows with the number of
 * names and buckets in the window, not with the number of requests recorded: whole UTC days are read
 * from day rows (hour rows only at a window's edges), and the window before and the series read only
 * the listed names, the rest coming from totals of the dimension with the fewest names.
 */
import { invalidRequest } from '../contract/errors.js';
import { nanosToUsd } from '../lib/money.js';
import type { RollupRange, RollupTotals } from '../store/repos/rollups.js';
import { COUNTERS, DAY_MS, DIMENSIONS, HOUR_MS, zeroCounts, type Dimension } from './rollup.js';

export const PERIODS = ['day', 'week', 'month'] as const;
export type Period = (typeof PERIODS)[number];
export const METRICS = ['tokens', 'requests', 'cost'] as const;
export type Metric = (typeof METRICS)[number];
export const SERIES = ['day', 'hour'] as const;
export type SeriesInterval = (typeof SERIES)[number];

export interface RankingsQuery {
  by: Dimension;
  period: Period;
  metric: Metric;
  /** Explicit window, epoch ms (aligned to hours); otherwise the calendar period containing `now`. */
  from?: number;
  to?: number;
  series?: SeriesInterval;
  limit: number;
}

export interface RankingsSource {
  totals(range: RollupRange): Promise<RollupTotals[]>;
  series(range: RollupRange): Promise<Array<RollupTotals & { bucket: number }>>;
}

export interface Window {
  from: number;
  to: number;
}

/** The calendar period (UTC) containing `at`. Weeks start on Monday. */
export function calendarWindow(period: Period, at: number): Window {
  const date = new Date(at);
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (period === 'day') return { from: dayStart, to: dayStart + DAY_MS };
  if (period === 'week') {
    const sinceMonday = (date.getUTCDay() + 6) % 7;
    const from = dayStart - sinceMonday * DAY_MS;
    return { from, to: from + 7 * DAY_MS };
  }
  const from = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  return { from, to: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
}

/** The window before: the previous calendar period, or the same length just before an explicit window. */
export function previousWindow(query: Pick<RankingsQuery, 'period' | 'from' | 'to'>, window: Window): Window {
  if (query.from === undefined && query.to === undefined) return calendarWindow(query.period, window.from - 1);
  return { from: window.from - (window.to - window.from), to: window.from };
}

export function currentWindow(query: Pick<RankingsQuery, 'period' | 'from' | 'to'>, now: number): Window {
  if (query.from === undefined && query.to === undefined) return calendarWindow(query.period, now);
  const length = calendarWindow(query.period, now);
  const to = query.to ?? (query.from !== undefined ? query.from + (length.to - length.from) : now);
  const from = query.from ?? to - (length.to - length.from);
  return { from: Math.floor(from / HOUR_MS) * HOUR_MS, to: Math.ceil(to / HOUR_MS) * HOUR_MS };
}

/**
 * The rollup ranges that cover a window: day rows for its whole UTC days, hour rows for the hours
 * before the first midnight and after the last one. So a long window that does not start or end at
 * midnight still reads at most 2 × 23 hours of hour rows, and the cost of a query stays that of the
 * days and names it spans.
 */
export function coveringRanges(window: Window): Array<Window & { grain: 'h' | 'd' }> {
  const firstMidnight = Math.ceil(window.from / DAY_MS) * DAY_MS;
  const lastMidnight = Math.floor(window.to / DAY_MS) * DAY_MS;
  if (firstMidnight >= lastMidnight) return [{ grain: 'h', ...window }];
  return [
    ...(window.from < firstMidnight ? [{ grain: 'h' as const, from: window.from, to: firstMidnight }] : []),
    { grain: 'd' as const, from: firstMidnight, to: lastMidnight },
    ...(lastMidnight < window.to ? [{ grain: 'h' as const, from: lastMidnight, to: window.to }] : []),
  ];
}

/** The sums per name (of `names` only, when given) over every range covering the window. */
async function windowTotals(
  source: RankingsSource,
  dim: Dimension,
  account: string,
  window: Window,
  names?: readonly string[],
): Promise<RollupTotals[]> {
  const parts = await Promise.all(
    coveringRanges(window).map((range) => source.totals({ dim, account, ...range, ...(names ? { names } : {}) })),
  );
  if (parts.length === 1) return parts[0]!;
  const merged = new Map<string, RollupTotals>();
  for (const row of parts.flat()) {
    const into = merged.get(row.name);
    if (into) for (const counter of COUNTERS) into[counter] += row[counter];
    else merged.set(row.name, { ...row });
  }
  return [...merged.values()];
}

function value(totals: RollupTotals, metric: Metric): number {
  if (metric === 'requests') return totals.requests;
  if (metric === 'cost') return totals.cost;
  return totals.prompt_tokens + totals.completion_tokens;
}

const round = (number: number, places: number): number => Number(number.toFixed(places));

export interface RankingRow {
  rank: number;
  name: string;
  /** Percent of the window's total of the metric. */
  share: number;
  /** Percent change of the metric against the window before; null when it had none. */
  change: number | null;
  tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  requests: number;
  errors: number;
  /** USD. */
  cost: number;
}

function rowOf(totals: RollupTotals, rank: number, share: number, change: number | null): RankingRow {
  return {
    rank,
    name: totals.name,
    share,
    change,
    tokens: totals.prompt_tokens + totals.completion_tokens,
    prompt_tokens: totals.prompt_tokens,
    completion_tokens: totals.completion_tokens,
    reasoning_tokens: totals.reasoning_tokens,
    cached_tokens: totals.cached_tokens,
    requests: totals.requests,
    errors: totals.errors,
    cost: nanosToUsd(totals.cost),
  };
}

function sum(rows: readonly RollupTotals[], name: string): RollupTotals {
  const out: RollupTotals = { name, ...zeroCounts() };
  for (const row of rows) for (const counter of COUNTERS) out[counter] += row[counter];
  return out;
}

export interface RankingsAnswer {
  by: Dimension;
  metric: Metric;
  period: Period;
  from: string;
  to: string;
  previous: { from: string; to: string };
  total: RankingRow;
  data: RankingRow[];
  /** The names below `limit`, summed (null when there are none). */
  others: RankingRow | null;
  series?: { interval: SeriesInterval; buckets: string[]; data: Array<{ name: string; values: number[] }> };
}

export async function rankings(source: RankingsSource, account: string, query: RankingsQuery, now = Date.now()): Promise<RankingsAnswer> {
  const window = currentWindow(query, now);
  const before = previousWindow(query, window);
  const current = await windowTotals(source, query.by, account, window);
  const total = sum(current, '(total)');
  const totalValue = value(total, query.metric);
  const ranked = current
    .filter((row) => row.requests > 0)
    .sort((left, right) => value(right, query.metric) - value(left, query.metric) || (left.name < right.name ? -1 : 1));
  // The window before: only the listed names' counts (for their change), and its total, read from
  // the dimension with the fewest names — every record counts once under every dimension.
  const listed = ranked.slice(0, query.limit).map((row) => row.name);
  const [previous, previousTotals] = await Promise.all([
    windowTotals(source, query.by, account, before, listed),
    windowTotals(source, 'country', account, before),
  ]);
  const earlier = new Map(previous.map((row) => [row.name, value(row, query.metric)]));
  const share = (row: RollupTotals): number => (totalValue === 0 ? 0 : round((value(row, query.metric) / totalValue) * 100, 6));
  const change = (now: number, then: number | undefined): number | null => (then ? round(((now - then) / then) * 100, 4) : null);
  const data = ranked
    .slice(0, query.limit)
    .map((row, index) => rowOf(row, index + 1, share(row), change(value(row, query.metric), earlier.get(row.name))));
  const rest = ranked.slice(query.limit);
  const previousTotal = sum(previousTotals, '(total)');
  const answer: RankingsAnswer = {
    by: query.by,
    metric: query.metric,
    period: query.period,
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    previous: { from: new Date(before.from).toISOString(), to: new Date(before.to).toISOString() },
    total: rowOf(total, 0, totalValue === 0 ? 0 : 100, change(totalValue, value(previousTotal, query.metric) || undefined)),
    data,
    others: rest.length > 0 ? rowOf(sum(rest, '(others)'), data.length + 1, share(sum(rest, '(others)')), null) : null,
  };
  if (query.series) {
    const step = query.series === 'day' ? DAY_MS : HOUR_MS;
    // A day series reads day rows for whole days and hour rows at the edges; an hour series hour rows.
    const ranges = query.series === 'day' ? coveringRanges(window) : [{ grain: 'h' as const, ...window }];
    const top = data.map((row) => row.name);
    // Only the top names' rows are read. The rest is each bucket's total less the top names': every
    // record counts once under every dimension, so a bucket's total can be read from the dimension
    // with the fewest names (the authors' countries) instead of from all of this one's.
    const [rows, totals] = await Promise.all([
      Promise.all(ranges.map((range) => source.series({ dim: query.by, account, ...range, names: top }))),
      rest.length === 0 ? [] : Promise.all(ranges.map((range) => source.series({ dim: 'country', account, ...range }))),
    ]);
    const start = Math.floor(window.from / step) * step;
    const buckets: number[] = [];
    for (let bucket = start; bucket < window.to; bucket += step) buckets.push(bucket);
    const index = new Map(buckets.map((bucket, position) => [bucket, position]));
    const lines = new Map<string, number[]>(top.map((name) => [name, buckets.map(() => 0)]));
    const others = buckets.map(() => 0);
    for (const row of totals.flat()) {
      const position = index.get(Math.floor(row.bucket / step) * step);
      if (position !== undefined) others[position]! += value(row, query.metric);
    }
    for (const row of rows.flat()) {
      const position = index.get(Math.floor(row.bucket / step) * step);
      const line = lines.get(row.name);
      if (position === undefined || !line) continue;
      line[position]! += value(row, query.metric);
      others[position]! -= value(row, query.metric);
    }
    const scale = query.metric === 'cost' ? nanosToUsd : (number: number) => number;
    answer.series = {
      interval: query.series,
      buckets: buckets.map((bucket) => new Date(bucket).toISOString()),
      data: [
        ...[...lines].map(([name, values]) => ({ name, values: values.map(scale) })),
        ...(rest.length > 0 ? [{ name: '(others)', values: others.map(scale) }] : []),
      ],
    };
  }
  return answer;
}

function oneOf<T extends string>(text: string | null, allowed: readonly T[], fallback: T, name: string): T {
  if (text === null || text === '') return fallback;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw invalidRequest(`Invalid '${name}': expected one of ${allowed.join(', ')}, got "${text.slice(0, 40)}".`, name);
}

/** An ISO date or date-time, or epoch seconds; the instant in ms. */
function instant(text: string | null, name: string): number | undefined {
  if (text === null || text === '') return undefined;
  const parsed = /^\d{1,12}$/.test(text) ? Number(text) * 1000 : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 8.64e15) {
    throw invalidRequest(`Invalid '${name}': expected an ISO 8601 date (2026-11-30, 2026-11-30T12:00:00Z) or Unix seconds.`, name);
  }
  return parsed;
}

/** Query parameters → a query; every bad one is a 400 naming it. */
export function parseRankingsQuery(get: (name: string) => string | null): RankingsQuery {
  const by = oneOf(get('by'), DIMENSIONS, 'model', 'by');
  const period = oneOf(get('period'), PERIODS, 'week', 'period');
  const metric = oneOf(get('metric'), METRICS, 'tokens', 'metric');
  const series = get('series') ? oneOf(get('series'), SERIES, 'day', 'series') : undefined;
  const from = instant(get('from'), 'from');
  const to = instant(get('to'), 'to');
  if (from !== undefined && to !== undefined && from >= to) throw invalidRequest(`Invalid 'from': it must be before 'to'.`, 'from');
  if (from !== undefined && to !== undefined && to - from > 400 * DAY_MS) {
    throw invalidRequest(`Invalid 'to': a window spans at most 400 days.`, 'to');
  }
  const limitText = get('limit');
  let limit = 20;
  if (limitText !== null && limitText !== '') {
    limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000)
      throw invalidRequest(`Invalid 'limit': expected a whole number from 1 to 1000.`, 'limit');
  }
  if (series === 'hour' && (to ?? 0) - (from ?? 0) > 31 * DAY_MS && from !== undefined) {
    throw invalidRequest(`Invalid 'series': hourly series span at most 31 days; use series=day.`, 'series');
  }
  return {
    by,
    period,
    metric,
    limit,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(series ? { series } : {}),
  };
}
