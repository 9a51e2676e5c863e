/**
 * Rankings over traffic whose shares are known exactly: requests through the gateway with scripted
 * usage (so every token is known), two accounts, three apps (X-Title, HTTP-Referer, none), two
 * authors in two countries, two providers, one failing model. Every dimension's shares equal the
 * ones computed here from what was sent; an ordinary key sees only its own account; the rollups
 * equal the generation records. On SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { pollUntil } from '../helpers/events.js';
import { MASTER_KEY, startTestGateway, type TestDatabase, type TestGateway } from '../helpers/gateway.js';

interface Row {
  rank: number;
  name: string;
  share: number;
  tokens: number;
  requests: number;
  errors: number;
  cost: number;
  country?: string | null;
}
interface Answer {
  data: Row[];
  total: Row;
  others: Row | null;
  scope: string;
  series?: { buckets: string[]; data: Array<{ name: string; values: number[] }> };
}

/** What is sent: model → tokens per answer (prompt + completion), per 1M prices 1 / 2. */
const USAGE: Record<string, { prompt: number; completion: number }> = {
  'acme/a': { prompt: 100, completion: 50 },
  'acme/b': { prompt: 30, completion: 20 },
  'zen/c': { prompt: 10, completion: 0 },
  'zen/fail': { prompt: 0, completion: 0 },
};
const SENT: Array<{ key: 'A' | 'B'; model: string; app?: { title?: string; referer?: string } }> = [
  ...Array.from({ length: 4 }, () => ({ key: 'A' as const, model: 'acme/a', app: { title: 'Alpha' } })),
  ...Array.from({ length: 2 }, () => ({ key: 'A' as const, model: 'acme/b', app: { referer: 'https://beta.example/page' } })),
  ...Array.from({ length: 2 }, () => ({ key: 'B' as const, model: 'zen/c' })),
  { key: 'B', model: 'acme/a', app: { title: 'Alpha' } },
  { key: 'B', model: 'zen/fail' },
];
const AUTHOR_COUNTRY: Record<string, string> = { acme: 'US', zen: 'CN' };
const PROVIDER: Record<string, string> = { 'acme/a': 'p1', 'acme/b': 'p2', 'zen/c': 'p1' };

/** The expected tokens per name for a dimension, from what was sent (answered requests only carry tokens). */
function expected(by: (sent: (typeof SENT)[number]) => string, scope?: 'A' | 'B'): Map<string, number> {
  const out = new Map<string, number>();
  for (const sent of SENT) {
    if (scope && sent.key !== scope) continue;
    const usage = USAGE[sent.model]!;
    const name = by(sent);
    out.set(name, (out.get(name) ?? 0) + usage.prompt + usage.completion);
  }
  return out;
}

function shares(tokens: Map<string, number>): Map<string, number> {
  const total = [...tokens.values()].reduce((sum, value) => sum + value, 0);
  return new Map([...tokens].map(([name, value]) => [name, Number(((value / total) * 100).toFixed(6))]));
}

describe.each<TestDatabase>(['sqlite', 'postgres'])('rankings over known traffic (%s)', (database) => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  const keys: Record<'A' | 'B', string> = { A: '', B: '' };
  const now = Date.now();
  const window = `from=${Math.floor((now - 86_400_000) / 1000)}&to=${Math.floor((now + 3_600_000) / 1000)}`;

  async function get(
    key: string,
    query: string,
  ): Promise<{ status: number; body: Answer & { error?: { code: number; message: string } } }> {
    const response = await fetch(`${gateway.url}/api/v1/rankings?${query}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as Answer & { error?: { code: number; message: string } } };
  }

  function asShares(answer: Answer): Map<string, number> {
    return new Map(answer.data.filter((row) => row.tokens > 0).map((row) => [row.name, row.share]));
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const model = (id: string, provider: string, upstreamModel: string): string =>
      `  ${id}:\n    endpoints:\n      - { provider: ${provider}, model: "${upstreamModel}", pricing: { prompt: 1, completion: 2 } }`;
    gateway = await startTestGateway({
      database,
      yaml: `bundled_catalog: false
routing: { max_attempts: 1 }
authors:
  acme: { name: Acme, country: US }
  zen: { name: Zen, country: CN }
providers:
  p1: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
  p2: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
models:
${model('acme/a', 'p1', 'usage:100:50')}
${model('acme/b', 'p2', 'usage:30:20')}
${model('zen/c', 'p1', 'usage:10:0')}
${model('zen/fail', 'p1', 'status:500')}
`,
    });
    keys.A = await gateway.createKey('account-a');
    keys.B = await gateway.createKey('account-b');
    for (const sent of SENT) {
      const headers: Record<string, string> = {};
      if (sent.app?.title) headers['x-title'] = sent.app.title;
      if (sent.app?.referer) headers['http-referer'] = sent.app.referer;
      await gateway
        .client(keys[sent.key], { defaultHeaders: headers })
        .chat.completions.create({ model: sent.model, messages: [{ role: 'user', content: 'Hi' }] })
        .catch((error: { status?: number }) => expect(sent.model === 'zen/fail' && error.status === 502).toBe(true));
    }
    // Records (and their rollups) are written in batches after each response: wait until all ten are counted.
    const counted = await pollUntil(
      () => get(MASTER_KEY, `by=model&metric=requests&${window}`),
      (answer) => answer.body.total?.requests === SENT.length,
      { maxAttempts: 1_000_000, withinMs: 20_000 },
    );
    expect(counted.met, JSON.stringify(counted.last?.body.total)).toBe(true);
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('gives each model, author, country, provider and app exactly its share of the tokens sent', async () => {
    const dimensions: Array<[string, (sent: (typeof SENT)[number]) => string]> = [
      ['model', (sent) => sent.model],
      ['author', (sent) => sent.model.split('/')[0]!],
      ['country', (sent) => AUTHOR_COUNTRY[sent.model.split('/')[0]!]!],
      ['provider', (sent) => PROVIDER[sent.model] ?? 'none'],
      ['app', (sent) => sent.app?.title ?? (sent.app?.referer ? new URL(sent.app.referer).host : '(unattributed)')],
    ];
    for (const [by, name] of dimensions) {
      const answer = await get(MASTER_KEY, `by=${by}&${window}`);
      expect(answer.status, by).toBe(200);
      const want = new Map([...shares(expected(name))].filter(([, share]) => share > 0));
      expect(asShares(answer.body.data ? answer.body : answer.body), by).toEqual(want);
      // Ranked by the metric, 1…n.
      expect(answer.body.data.map((row) => row.rank)).toEqual(answer.body.data.map((_row, index) => index + 1));
      expect(answer.body.total.tokens).toBe(870);
    }
    const authors = await get(MASTER_KEY, `by=author&${window}`);
    expect(authors.body.data.map((row) => [row.name, row.country])).toEqual([
      ['acme', 'US'],
      ['zen', 'CN'],
    ]);
  });

  it('counts requests, errors and cost alike', async () => {
    const requests = await get(MASTER_KEY, `by=model&metric=requests&${window}`);
    expect(requests.body.data.map((row) => [row.name, row.requests, row.errors, row.share])).toEqual([
      ['acme/a', 5, 0, 50],
      ['acme/b', 2, 0, 20],
      ['zen/c', 2, 0, 20],
      ['zen/fail', 1, 1, 10],
    ]);
    const cost = await get(MASTER_KEY, `by=model&metric=cost&${window}`);
    // USD per answer at 1 / 2 per 1M: a = 100e-6 + 100e-6, b = 30e-6 + 40e-6, c = 10e-6.
    const byName = new Map(cost.body.data.map((row) => [row.name, row.cost]));
    expect(byName.get('acme/a')).toBeCloseTo(5 * 200e-6, 12);
    expect(byName.get('acme/b')).toBeCloseTo(2 * 70e-6, 12);
    expect(byName.get('zen/c')).toBeCloseTo(2 * 10e-6, 12);
    expect(cost.body.data.find((row) => row.name === 'acme/a')!.share).toBeCloseTo((1000e-6 / (1000e-6 + 140e-6 + 20e-6)) * 100, 4);
  });

  it('shows an ordinary key its own account only, and keeps accounts to admins', async () => {
    for (const scope of ['A', 'B'] as const) {
      const answer = await get(keys[scope], `by=model&${window}`);
      expect(answer.body.scope).toBe('account');
      expect(asShares(answer.body)).toEqual(new Map([...shares(expected((sent) => sent.model, scope))].filter(([, share]) => share > 0)));
    }
    expect((await get(keys.A, `by=model&metric=requests&${window}`)).body.total.requests).toBe(6);
    const refused = await get(keys.A, `by=account&${window}`);
    expect(refused.status).toBe(403);
    const accounts = await get(MASTER_KEY, `by=account&metric=requests&${window}`);
    expect(accounts.body.data.map((row) => row.requests).sort()).toEqual([4, 6]);
  });

  it('returns a day series for a stacked chart that sums to the totals', async () => {
    const answer = await get(MASTER_KEY, `by=author&period=week&series=day&${window}`);
    const series = answer.body.series!;
    expect(series.buckets.length).toBeGreaterThanOrEqual(2);
    for (const row of answer.body.data) {
      const line = series.data.find((item) => item.name === row.name)!;
      expect(line.values.reduce((sum, value) => sum + value, 0)).toBe(row.tokens);
    }
  });

  it('keeps the rollups equal to the generation records', async () => {
    const rollups = await gateway.running.store.rollups.all();
    const day = rollups.filter((row) => row.grain === 'd' && row.account === '*' && row.dim === 'model');
    const hour = rollups.filter((row) => row.grain === 'h' && row.account === '*' && row.dim === 'model');
    const records = await gateway.running.store.generations.list({ keyId: undefined, from: 0, to: Date.now() + 60_000, limit: 1000 });
    for (const rows of [day, hour]) {
      expect(rows.reduce((sum, row) => sum + row.requests, 0)).toBe(records.length);
      expect(rows.reduce((sum, row) => sum + row.prompt_tokens + row.completion_tokens, 0)).toBe(
        records.reduce((sum, row) => sum + (row.prompt_tokens ?? 0) + (row.completion_tokens ?? 0), 0),
      );
      expect(rows.reduce((sum, row) => sum + row.cost, 0)).toBe(records.reduce((sum, row) => sum + (row.cost ?? 0), 0));
    }
  });

  it('answers a bad query with a 400 naming the parameter', async () => {
    for (const [query, parameter] of [
      ['by=planet', 'by'],
      ['period=year', 'period'],
      ['metric=vibes', 'metric'],
      ['from=yesterday', 'from'],
      ['from=2026-11-02&to=2026-11-01', 'from'],
      ['series=minute', 'series'],
      ['limit=0', 'limit'],
    ] as const) {
      const answer = await get(keys.A, query);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error!.message, query).toContain(`'${parameter}'`);
    }
    expect((await fetch(`${gateway.url}/api/v1/rankings`)).status).toBe(401);
  });
});
