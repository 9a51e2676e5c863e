import { describe, expect, it } from 'vitest';
import type { NewGeneration } from '../store/repos/generations.js';
import type { RollupRange, RollupTotals } from '../store/repos/rollups.js';
import {
  calendarWindow,
  coveringRanges,
  currentWindow,
  parseRankingsQuery,
  previousWindow,
  rankings,
  type RankingsSource,
} from './query.js';
import { appOf, authorOf, rollupDeltas } from './rollup.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (window: { from: number; to: number }): [string, string] => [
  new Date(window.from).toISOString(),
  new Date(window.to).toISOString(),
];

describe('ranking periods (UTC)', () => {
  it('a day runs midnight to midnight', () => {
    expect(iso(calendarWindow('day', at('2026-12-02T23:59:59.999Z')))).toEqual(['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']);
    expect(iso(calendarWindow('day', at('2026-12-03T00:00:00.000Z')))).toEqual(['2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z']);
  });

  it('a week starts on Monday: Sunday night belongs to the week before', () => {
    // 2026-11-29 is a Sunday, 2026-11-30 a Monday.
    expect(iso(calendarWindow('week', at('2026-11-29T23:59:59Z')))).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    expect(iso(calendarWindow('week', at('2026-11-30T00:00:00Z')))).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    expect(iso(calendarWindow('week', at('2026-12-02T12:00:00Z')))).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    // Across a year's end.
    expect(iso(calendarWindow('week', at('2027-01-01T08:00:00Z')))).toEqual(['2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z']);
  });

  it('a month runs from its first day, leap years included', () => {
    expect(iso(calendarWindow('month', at('2028-02-29T23:00:00Z')))).toEqual(['2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z']);
    expect(iso(calendarWindow('month', at('2026-12-31T23:59:59Z')))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('the previous window is the previous calendar period, or the same length before an explicit window', () => {
    const query = { period: 'month' as const };
    expect(iso(previousWindow(query, calendarWindow('month', at('2026-03-15T00:00:00Z'))))).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    const explicit = { period: 'week' as const, from: at('2026-11-10T00:00:00Z'), to: at('2026-11-13T00:00:00Z') };
    const window = currentWindow(explicit, at('2026-12-01T00:00:00Z'));
    expect(iso(window)).toEqual(['2026-11-10T00:00:00.000Z', '2026-11-13T00:00:00.000Z']);
    expect(iso(previousWindow(explicit, window))).toEqual(['2026-11-07T00:00:00.000Z', '2026-11-10T00:00:00.000Z']);
    // An explicit window is widened to whole hours.
    expect(iso(currentWindow({ period: 'day', from: at('2026-11-10T10:20:00Z'), to: at('2026-11-10T12:05:00Z') }, 0))).toEqual([
      '2026-11-10T10:00:00.000Z',
      '2026-11-10T13:00:00.000Z',
    ]);
  });
});

function record(createdAt: string, extra: Partial<NewGeneration> = {}): NewGeneration {
  return {
    id: `gen_${Math.random()}`,
    key_id: 'key_1',
    account_id: 'acct_1',
    api: 'chat',
    model: 'deepseek/deepseek-r1',
    provider: 'together',
    streamed: 0,
    status: 'success',
    http_status: 200,
    prompt_tokens: 10,
    completion_tokens: 5,
    reasoning_tokens: 2,
    cached_tokens: 1,
    cost: 1000,
    latency_ms: 1,
    usage_estimated: 0,
    created_at: at(createdAt),
    ...extra,
  };
}

describe('rollups of a batch', () => {
  it('puts the last millisecond of a day in that day and midnight in the next, per hour and per day', () => {
    const deltas = rollupDeltas([record('2026-12-01T23:59:59.999Z'), record('2026-12-02T00:00:00.000Z')], () => 'CN');
    const models = deltas.filter((delta) => delta.dim === 'model' && delta.account === '*');
    expect(models.filter((delta) => delta.grain === 'd').map((delta) => [new Date(delta.bucket).toISOString(), delta.requests])).toEqual([
      ['2026-12-01T00:00:00.000Z', 1],
      ['2026-12-02T00:00:00.000Z', 1],
    ]);
    expect(models.filter((delta) => delta.grain === 'h').map((delta) => new Date(delta.bucket).toISOString())).toEqual([
      '2026-12-01T23:00:00.000Z',
      '2026-12-02T00:00:00.000Z',
    ]);
  });

  it('counts every dimension once per record, for the account and for the whole gateway', () => {
    const rows = [
      record('2026-12-02T10:00:00Z'),
      record('2026-12-02T10:30:00Z', { status: 'error', prompt_tokens: null, completion_tokens: null, cost: 0, app_title: 'Cline' }),
      record('2026-12-02T10:45:00Z', {
        account_id: 'acct_2',
        key_id: 'key_2',
        model: 'qwen/qwen3-32b',
        app_referer: 'https://app.example/x',
      }),
    ];
    const deltas = rollupDeltas(rows, (author) => ({ deepseek: 'CN', qwen: 'CN' })[author]);
    const day = (dim: string, account = '*') =>
      Object.fromEntries(
        deltas
          .filter((delta) => delta.grain === 'd' && delta.dim === dim && delta.account === account)
          .map((delta) => [delta.name, [delta.requests, delta.errors, delta.prompt_tokens + delta.completion_tokens]]),
      );
    expect(day('model')).toEqual({ 'deepseek/deepseek-r1': [2, 1, 15], 'qwen/qwen3-32b': [1, 0, 15] });
    expect(day('author')).toEqual({ deepseek: [2, 1, 15], qwen: [1, 0, 15] });
    expect(day('country')).toEqual({ CN: [3, 1, 30] });
    expect(day('app')).toEqual({ '(unattributed)': [1, 0, 15], Cline: [1, 1, 0], 'app.example': [1, 0, 15] });
    expect(day('account')).toEqual({ acct_1: [2, 1, 15], acct_2: [1, 0, 15] });
    expect(day('model', 'acct_2')).toEqual({ 'qwen/qwen3-32b': [1, 0, 15] });
    expect(day('account', 'acct_1')).toEqual({});
    // Hour and day rows agree.
    const sum = (grain: string) =>
      deltas.filter((delta) => delta.grain === grain && delta.dim === 'key').reduce((total, delta) => total + delta.cost, 0);
    expect(sum('h')).toBe(sum('d'));
    expect(authorOf('~openai/gpt-latest')).toBe('openai');
    expect(appOf({ app_title: null, app_referer: 'not a url' })).toBe('not a url');
  });
});

describe('rankings from rollups', () => {
  const totals = (name: string, tokens: number, requests = 1): RollupTotals => ({
    name,
    requests,
    errors: 0,
    prompt_tokens: tokens,
    completion_tokens: 0,
    reasoning_tokens: 0,
    cached_tokens: 0,
    cost: tokens * 1000,
  });
  const source = (current: RollupTotals[], previous: RollupTotals[]): RankingsSource & { ranges: RollupRange[] } => {
    const ranges: RollupRange[] = [];
    return {
      ranges,
      totals: async (range) => {
        ranges.push(range);
        return ranges.length === 1 ? current : previous;
      },
      series: async () => [],
    };
  };

  it('ranks by the metric with shares, changes against the window before, and the rest summed', async () => {
    const data = source([totals('a', 600), totals('b', 300), totals('c', 50), totals('d', 50)], [totals('a', 300), totals('c', 100)]);
    const answer = await rankings(data, '*', { by: 'model', period: 'week', metric: 'tokens', limit: 2 }, at('2026-12-02T12:00:00Z'));
    expect(answer.data.map((row) => [row.rank, row.name, row.share, row.change])).toEqual([
      [1, 'a', 60, 100],
      [2, 'b', 30, null],
    ]);
    expect(answer.others).toMatchObject({ rank: 3, name: '(others)', share: 10, tokens: 100 });
    expect(answer.total).toMatchObject({ tokens: 1000, share: 100, change: 150 });
    // A calendar week reads day rows: Monday to Monday. The week before: the listed names, and the total (from the countries).
    expect(data.ranges.map((range) => [range.grain, range.dim, new Date(range.from).toISOString(), range.names])).toEqual([
      ['d', 'model', '2026-11-30T00:00:00.000Z', undefined],
      ['d', 'model', '2026-11-23T00:00:00.000Z', ['a', 'b']],
      ['d', 'country', '2026-11-23T00:00:00.000Z', undefined],
    ]);
  });

  it('reads a window that does not start or end at midnight from day rows, with hour rows only at its edges', async () => {
    const ranges = (from: string, to: string) =>
      coveringRanges({ from: at(from), to: at(to) }).map((range) => [range.grain, ...iso(range)]);
    expect(ranges('2026-11-10T10:00:00Z', '2026-11-13T05:00:00Z')).toEqual([
      ['h', '2026-11-10T10:00:00.000Z', '2026-11-11T00:00:00.000Z'],
      ['d', '2026-11-11T00:00:00.000Z', '2026-11-13T00:00:00.000Z'],
      ['h', '2026-11-13T00:00:00.000Z', '2026-11-13T05:00:00.000Z'],
    ]);
    expect(ranges('2026-11-10T00:00:00Z', '2026-11-12T05:00:00Z')).toEqual([
      ['d', '2026-11-10T00:00:00.000Z', '2026-11-12T00:00:00.000Z'],
      ['h', '2026-11-12T00:00:00.000Z', '2026-11-12T05:00:00.000Z'],
    ]);
    // Inside one day, or across a single midnight: hour rows only.
    expect(ranges('2026-11-10T03:00:00Z', '2026-11-10T09:00:00Z')).toEqual([['h', '2026-11-10T03:00:00.000Z', '2026-11-10T09:00:00.000Z']]);
    expect(ranges('2026-11-10T20:00:00Z', '2026-11-11T04:00:00Z')).toEqual([['h', '2026-11-10T20:00:00.000Z', '2026-11-11T04:00:00.000Z']]);
    // The parts are summed per name; the day series puts hour rows in their day.
    const rows: Record<string, Array<RollupTotals & { bucket: number }>> = {
      h: [
        { ...totals('a', 5), bucket: at('2026-11-10T22:00:00Z') },
        { ...totals('b', 7), bucket: at('2026-11-13T01:00:00Z') },
      ],
      d: [
        { ...totals('a', 100), bucket: at('2026-11-11T00:00:00Z') },
        { ...totals('a', 10), bucket: at('2026-11-12T00:00:00Z') },
      ],
    };
    const inRange = (range: RollupRange) => rows[range.grain]!.filter((row) => row.bucket >= range.from && row.bucket < range.to);
    const parts: RankingsSource = {
      totals: async (range) => {
        const sums = new Map<string, RollupTotals>();
        for (const row of inRange(range)) {
          const into = sums.get(row.name) ?? totals(row.name, 0, 0);
          into.requests += row.requests;
          into.prompt_tokens += row.prompt_tokens;
          into.cost += row.cost;
          sums.set(row.name, into);
        }
        return [...sums.values()];
      },
      series: async (range) => inRange(range),
    };
    const answer = await rankings(
      parts,
      '*',
      {
        by: 'model',
        period: 'day',
        metric: 'tokens',
        limit: 20,
        from: at('2026-11-10T10:00:00Z'),
        to: at('2026-11-13T05:00:00Z'),
        series: 'day',
      },
      0,
    );
    expect(answer.data.map((row) => [row.name, row.tokens, row.requests])).toEqual([
      ['a', 115, 3],
      ['b', 7, 1],
    ]);
    expect(answer.series!.buckets).toEqual([
      '2026-11-10T00:00:00.000Z',
      '2026-11-11T00:00:00.000Z',
      '2026-11-12T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
    ]);
    expect(answer.series!.data).toEqual([
      { name: 'a', values: [5, 100, 10, 0] },
      { name: 'b', values: [0, 0, 0, 7] },
    ]);
  });

  it("draws the series of the top names from their rows alone, and the rest from each bucket's total", async () => {
    const hour = (iso: string) => at(`2026-11-10T${iso}:00:00Z`);
    // by model: a, b, c; the same records by country: X and Y.
    const rows: Record<string, Array<RollupTotals & { bucket: number }>> = {
      model: [
        { ...totals('a', 50), bucket: hour('01') },
        { ...totals('b', 30), bucket: hour('01') },
        { ...totals('c', 20), bucket: hour('02') },
        { ...totals('a', 10), bucket: hour('02') },
      ],
      country: [
        { ...totals('X', 70), bucket: hour('01') },
        { ...totals('Y', 10), bucket: hour('01') },
        { ...totals('X', 30), bucket: hour('02') },
      ],
    };
    const asked: RollupRange[] = [];
    const pick = (range: RollupRange) =>
      rows[range.dim]!.filter(
        (row) => row.bucket >= range.from && row.bucket < range.to && (range.names === undefined || range.names.includes(row.name)),
      );
    const data: RankingsSource = {
      totals: async (range) => {
        const sums = new Map<string, RollupTotals>();
        for (const row of pick(range)) {
          const into = sums.get(row.name) ?? totals(row.name, 0, 0);
          into.requests += row.requests;
          into.prompt_tokens += row.prompt_tokens;
          sums.set(row.name, into);
        }
        return [...sums.values()];
      },
      series: async (range) => {
        asked.push(range);
        return pick(range);
      },
    };
    const query = { by: 'model', period: 'day', metric: 'tokens', limit: 1, series: 'hour' } as const;
    const answer = await rankings(data, '*', { ...query, from: hour('01'), to: hour('03') }, 0);
    expect(answer.series!.data).toEqual([
      { name: 'a', values: [50, 10] },
      { name: '(others)', values: [30, 20] },
    ]);
    expect(asked.map((range) => [range.dim, range.names])).toEqual([
      ['model', ['a']],
      ['country', undefined],
    ]);
  });

  it('names the bad parameter', () => {
    const parse = (query: string) => () => parseRankingsQuery((name) => new URLSearchParams(query).get(name));
    expect(parse('by=galaxy')).toThrow(/'by'/);
    expect(parse('from=2026-01-01&to=2027-06-01')).toThrow(/'to'/);
    expect(parse('limit=1001')).toThrow(/'limit'/);
    expect(parseRankingsQuery(() => null)).toEqual({ by: 'model', period: 'week', metric: 'tokens', limit: 20 });
  });
});
