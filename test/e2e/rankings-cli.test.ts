/**
 * `agora rankings` (a separate process, as an operator runs it) over a database holding records
 * whose shares are known exactly: the table's names, shares, bars, counts and changes; `--json`
 * equal to what GET /api/v1/rankings answers an admin key (the whole gateway) and an account's key
 * (`--account`) from a gateway on the same database, authors' countries included; the day series'
 * sparklines; flags named in errors; a missing database left uncreated. On SQLite and PostgreSQL.
 * Needs a built dist/ (`npm run build`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeText, percent, shareBar, sparkline, usd } from '../../src/cli/commands/rankings.js';
import { rollupDeltas } from '../../src/rankings/rollup.js';
import { openStore } from '../../src/store/index.js';
import type { NewGeneration } from '../../src/store/repos/generations.js';
import { freshDatabase, MASTER_KEY, startTestGateway, type TestDatabase, type TestGateway } from '../helpers/gateway.js';
import { cli, freePort } from '../helpers/processes.js';

const CONFIG_YAML = `bundled_catalog: false
authors:
  acme: { name: Acme, country: US }
  zen: { name: Zen, country: CN }
`;
const COUNTRY: Record<string, string> = { acme: 'US', zen: 'CN' };

// The week of Monday 2026-01-05 (the window) and the week before (what the change is against).
const WEEK = ['--from', '2026-01-05', '--to', '2026-01-12'];
const WEEK_QUERY = 'from=2026-01-05&to=2026-01-12';
const at = (iso: string): number => Date.parse(iso);

/**
 * In the window: acme/a 4 × 150 tokens (account X), acme/b 6 × 50 (account Y), zen/c 10 × 10 (account X):
 * 600, 300, 100 of 1,000 tokens — 60 %, 30 %, 10 %. The week before: acme/a 2 × 150, zen/c 20 × 10.
 */
function records(keys: { x: { key: string; account: string }; y: { key: string; account: string } }): NewGeneration[] {
  let sequence = 0;
  const record = (model: string, who: 'x' | 'y', createdAt: number, prompt: number, completion: number): NewGeneration => ({
    id: `gen-rankings-cli-${sequence++}`,
    key_id: keys[who].key,
    account_id: keys[who].account,
    api: 'chat',
    model,
    provider: model.startsWith('zen/') ? 'p2' : 'p1',
    streamed: 0,
    status: 'success',
    http_status: 200,
    prompt_tokens: prompt,
    completion_tokens: completion,
    cost: (prompt + 2 * completion) * 1000,
    latency_ms: 5,
    usage_estimated: 0,
    created_at: createdAt,
  });
  const rows: NewGeneration[] = [];
  // acme/a on Monday and Wednesday, acme/b on Sunday, zen/c every day but Sunday (10 = 2+2+2+1+1+1+1)
  for (const day of ['05', '05', '07', '07']) rows.push(record('acme/a', 'x', at(`2026-01-${day}T10:00:00Z`), 100, 50));
  for (let index = 0; index < 6; index++) rows.push(record('acme/b', 'y', at('2026-01-11T23:59:59.999Z'), 30, 20));
  for (const day of ['05', '05', '06', '06', '07', '07', '08', '09', '10', '10'])
    rows.push(record('zen/c', 'x', at(`2026-01-${day}T00:00:00Z`), 10, 0));
  // the week before
  for (let index = 0; index < 2; index++) rows.push(record('acme/a', 'x', at('2026-01-04T23:00:00Z'), 100, 50));
  for (let index = 0; index < 20; index++) rows.push(record('zen/c', 'x', at('2025-12-29T00:00:00Z'), 10, 0));
  // after the window: not counted
  rows.push(record('zen/c', 'y', at('2026-01-12T00:00:00Z'), 1_000, 0));
  return rows;
}

interface TableRow {
  rank: string;
  cells: string[];
}

/** The table's body rows (after the ─── line), split on runs of two or more spaces. */
function tableRows(stdout: string): TableRow[] {
  const lines = stdout.split('\n');
  const rule = lines.findIndex((line) => /^─+/.test(line));
  const rows: TableRow[] = [];
  for (const line of lines.slice(rule + 1)) {
    if (line.trim() === '' || line.startsWith('(')) break;
    const cells = line.trim().split(/ {2,}/);
    rows.push({ rank: cells[0]!, cells });
  }
  return rows;
}

describe('terminal bars', () => {
  it('draws a share as full blocks and an eighth-block remainder, and any share above 0 visibly', () => {
    expect(shareBar(100)).toBe('█'.repeat(24));
    expect(shareBar(50)).toBe('█'.repeat(12));
    expect(shareBar(60)).toBe(`${'█'.repeat(14)}▍`); // 0.6 × 24 × 8 = 115.2 eighths
    expect(shareBar(0.01)).toBe('▏');
    expect(shareBar(0)).toBe('');
    expect(shareBar(140)).toBe('█'.repeat(24));
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▁▂▄█');
    expect(sparkline([0, 0])).toBe('  ');
    expect([changeText(null), changeText(0), changeText(100), changeText(-50), changeText(1234.5)]).toEqual([
      'new',
      '= 0%',
      '▲ 100%',
      '▼ 50.0%',
      '▲ 1,235%',
    ]);
    expect([percent(60), percent(3.14159), percent(0.01234), percent(0)]).toEqual(['60.0%', '3.14%', '0.012%', '0.0%']);
    expect([usd(0), usd(1234.5), usd(0.0012)]).toEqual(['$0', '$1,234.50', '$0.0012']);
  });
});

describe.each<TestDatabase>(['sqlite', 'postgres'])('agora rankings (%s)', (kind) => {
  let database: { url: string; drop: () => Promise<void> };
  let gateway: TestGateway;
  let folder: string;
  let config: string;
  const keys = { x: { key: '', account: '', secret: '' }, y: { key: '', account: '', secret: '' } };

  beforeAll(async () => {
    database = await freshDatabase(kind);
    folder = mkdtempSync(join(tmpdir(), 'agora-rankings-cli-'));
    config = join(folder, 'agora.yaml');
    writeFileSync(config, CONFIG_YAML);
    const store = await openStore(database.url);
    try {
      for (const who of ['x', 'y'] as const) {
        const created = await store.keys.create({ name: `account-${who}` });
        keys[who] = { key: created.row.id, account: created.row.account_id!, secret: created.key };
      }
      await store.generations.insertMany(records(keys), (inserted) => rollupDeltas(inserted, (author) => COUNTRY[author]));
    } finally {
      await store.close();
    }
    // A gateway on the same database, for what the API answers (the same catalog: the same authors).
    gateway = await startTestGateway({ yaml: CONFIG_YAML, databaseUrl: database.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  async function api(key: string, query: string): Promise<unknown> {
    const response = await fetch(`${gateway.url}/api/v1/rankings?${query}`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status, query).toBe(200);
    return response.json();
  }

  it('prints each name with its share, bar, counts and change against the week before', async () => {
    const { stdout, stderr, code } = await cli(['rankings', '--db', database.url, ...WEEK]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Rankings by model, share of tokens — window 2026-01-05 – 2026-01-11 (UTC), whole gateway');
    expect(lines[1]).toBe('compared with 2025-12-29 – 2026-01-04');
    expect(tableRows(stdout).map((row) => row.cells)).toEqual([
      ['1', 'acme/a', '60.0%', shareBar(60), '600', '4', '$0.0008', '▲ 100%'],
      ['2', 'acme/b', '30.0%', shareBar(30), '300', '6', '$0.00042', 'new'],
      ['3', 'zen/c', '10.0%', shareBar(10), '100', '10', '$0.0001', '▼ 50.0%'],
      ['total', '100.0%', '1,000', '20', '$0.0013', '▲ 100%'],
    ]);
    // The bars are in proportion to the shares, to an eighth of a column.
    expect([...shareBar(60)].length).toBe(15);
    expect([...shareBar(10)].length).toBe(3);
  });

  it('ranks by requests, lists the top names and sums the rest', async () => {
    const { stdout } = await cli(['rankings', '--db', database.url, ...WEEK, '--metric', 'requests', '--limit', '1']);
    expect(tableRows(stdout).map((row) => row.cells.slice(0, 3))).toEqual([
      ['1', 'zen/c', '50.0%'],
      ['…', '(others)', '50.0%'],
      ['total', '100.0%', '1,000'],
    ]);
    expect(stdout).toContain('(…: the names below the top 1, summed; --limit shows more)');
  });

  it('shows authors with their country, and prints with --json what the API answers an admin key', async () => {
    const { stdout } = await cli(['rankings', '--db', database.url, ...WEEK, '--by', 'author', '--config', config]);
    expect(tableRows(stdout).map((row) => row.cells.slice(0, 4))).toEqual([
      ['1', 'acme', 'US', '90.0%'],
      ['2', 'zen', 'CN', '10.0%'],
      ['total', '100.0%', '1,000', '20'],
    ]);
    for (const query of [
      ['--by', 'author', '--series', 'day'],
      ['--by', 'model', '--metric', 'cost'],
      ['--by', 'provider', '--metric', 'requests', '--limit', '1'],
      ['--by', 'account'],
      ['--by', 'key', '--period', 'day'],
    ]) {
      const printed = await cli(['rankings', '--db', database.url, ...WEEK, '--config', config, '--json', ...query]);
      expect(printed.code, printed.stderr).toBe(0);
      const params = new URLSearchParams();
      for (let index = 0; index < query.length; index += 2) params.set(query[index]!.slice(2), query[index + 1]!);
      expect(JSON.parse(printed.stdout), query.join(' ')).toEqual(await api(MASTER_KEY, `${WEEK_QUERY}&${params}`));
    }
  });

  it("shows one account's traffic with --account, as that account's own key sees it", async () => {
    const printed = await cli(['rankings', '--db', database.url, ...WEEK, '--account', keys.x.account, '--json']);
    const answer = JSON.parse(printed.stdout) as { scope: string; total: { tokens: number; requests: number } };
    expect(answer).toEqual(await api(keys.x.secret, WEEK_QUERY));
    expect(answer.scope).toBe('account');
    expect(answer.total).toMatchObject({ tokens: 700, requests: 14 });
    const table = await cli(['rankings', '--db', database.url, ...WEEK, '--account', keys.y.account]);
    expect(table.stdout.split('\n')[0]).toContain(`account ${keys.y.account}`);
    expect(tableRows(table.stdout).map((row) => row.cells.slice(0, 3))).toEqual([
      ['1', 'acme/b', '100.0%'],
      ['total', '100.0%', '300'],
    ]);
  });

  it('draws a sparkline per name for the day series', async () => {
    const { stdout } = await cli(['rankings', '--db', database.url, ...WEEK, '--series', 'day']);
    const start = stdout.split('\n').findIndex((line) => line.startsWith('tokens per day'));
    expect(stdout.split('\n')[start]).toBe('tokens per day, 2026-01-05 → 2026-01-11 (each line scaled to its own peak):');
    // Monday … Sunday: acme/a 300 on Monday and Wednesday; acme/b all on Sunday; zen/c 20, 20, 20, 10, 10, 20, 0.
    const line = (name: string, values: number[], total: string, peak: string): string =>
      `${name.padEnd(6)}  ${sparkline(values)}  ${total.padStart(5)}  ${peak.padStart(4)}`;
    expect(stdout.split('\n').slice(start + 1, start + 6)).toEqual([
      'NAME    DAYS     TOTAL  PEAK',
      '──────  ───────  ─────  ────',
      line('acme/a', [300, 0, 300, 0, 0, 0, 0], '600', '300'),
      line('acme/b', [0, 0, 0, 0, 0, 0, 300], '300', '300'),
      line('zen/c', [20, 20, 20, 10, 10, 20, 0], '100', '20'),
    ]);
    expect(sparkline([0, 0, 0, 0, 0, 0, 300])).toBe('      █');
  });

  it("asks a running gateway's API with --url and --key: the same table, the key's own scope, the API's errors", async () => {
    const viaDatabase = await cli(['rankings', '--db', database.url, ...WEEK, '--by', 'provider', '--series', 'day']);
    const viaApi = await cli(['rankings', '--url', gateway.url, '--key', MASTER_KEY, ...WEEK, '--by', 'provider', '--series', 'day']);
    expect(viaApi.stderr).toBe('');
    expect(viaApi.stdout).toBe(viaDatabase.stdout);
    const json = await cli(['rankings', '--url', gateway.url, '--key', MASTER_KEY, ...WEEK, '--json']);
    expect(JSON.parse(json.stdout)).toEqual(await api(MASTER_KEY, WEEK_QUERY));
    // An ordinary key sees its own account, as --account shows it from the database.
    const own = await cli(['rankings', '--url', gateway.url, '--key', keys.y.secret, ...WEEK]);
    expect(own.stdout.split('\n')[0]).toContain("the key's account");
    expect(tableRows(own.stdout)).toEqual(
      tableRows((await cli(['rankings', '--db', database.url, ...WEEK, '--account', keys.y.account])).stdout),
    );
    for (const [args, message] of [
      [['--key', keys.y.secret, '--by', 'account'], /the gateway answered 403: Rankings by account need an admin key/],
      [['--key', 'sk-agora-not-a-key-0000000000000000'], /the gateway answered 401/],
      [['--key', MASTER_KEY, '--limit', '5000'], /Invalid --limit: expected a whole number from 1 to 1000/], // refused before asking
    ] as const) {
      const refused = await cli(['rankings', '--url', gateway.url, ...WEEK, ...args]);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('says so when the window has no traffic', async () => {
    const { stdout, code } = await cli(['rankings', '--db', database.url, '--from', '2020-01-01', '--to', '2020-01-02']);
    expect(code).toBe(0);
    expect(stdout).toContain('No traffic recorded in this window.');
  });
});

describe('agora rankings: help and errors', () => {
  it('documents every flag', async () => {
    const { stdout, code } = await cli(['rankings', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--by',
      '--period',
      '--metric',
      '--from',
      '--to',
      '--limit',
      '--series',
      '--url',
      '--key',
      '--account',
      '--config',
      '--db',
      '--json',
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toContain('Examples:');
  });

  it('names the flag at fault and exits 1', async () => {
    const closed = await freePort(); // nothing listens there
    const folder = mkdtempSync(join(tmpdir(), 'agora-rankings-cli-'));
    const db = `sqlite:${join(folder, 'agora.db')}`;
    try {
      for (const [args, message] of [
        [['--by', 'planet'], /--by: expected one of model, author, country, provider, app, key, account/],
        [['--period', 'year'], /--period/],
        [['--from', '2026-01-12', '--to', '2026-01-05'], /Invalid --from: it must be before --to\./],
        [['--limit', '0'], /--limit/],
        [['--series', 'minute'], /--series/],
        [['--by', 'account', '--account', 'acct_1'], /--by account ranks the accounts of the whole gateway/],
        [['--url', 'http://127.0.0.1:9'], /a key is needed to ask the gateway: --key KEY or AGORA_API_KEY/],
        [['--url', 'http://127.0.0.1:9', '--key', 'k', '--account', 'acct_1'], /through --url the key decides/],
        [['--key', 'k'], /--key goes with --url/],
        [['--url', 'http://127.0.0.1:9', '--key', 'k', '--db', 'sqlite:x.db'], /--db reads the database, --url asks a running gateway/],
        [
          ['--url', `http://127.0.0.1:${closed}`, '--key', 'k'],
          new RegExp(`could not reach the gateway at http://127.0.0.1:${closed}: ECONNREFUSED`),
        ],
      ] as const) {
        const result = await cli(['rankings', ...((args as readonly string[]).includes('--url') ? [] : ['--db', db]), ...args]);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr, args.join(' ')).toMatch(message);
        expect(result.stdout).toBe('');
      }
      // A database that does not exist is named, and not created.
      const missing = await cli(['rankings', '--db', db]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`no database at ${join(folder, 'agora.db')}`);
      const again = await cli(['rankings', '--db', db]);
      expect(again.stderr).toContain('no database at');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
