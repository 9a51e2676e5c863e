/**
 * `agora rankings` — market share of the gateway's traffic, printed as a table with terminal bars:
 * rank, name, share, tokens, requests, cost, and the change against the period before; `--series
 * day|hour` adds one sparkline per name; `--json` prints the API's answer.
 *
 * Two ways to get there: with `--url` (or AGORA_URL) it asks a running gateway's
 * GET /api/v1/rankings with a key (`--key` / AGORA_API_KEY), which decides what is seen (an admin
 * key the whole gateway, an ordinary key its own account), as `agora bench` does; without, it reads
 * the rollups in the gateway's database (`--db` / AGORA_DB) as `agora keys` and `agora models` do —
 * the whole gateway, or one account with `--account` — with no gateway running and no key.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { fromRows } from '../../catalog/synced.js';
import { AgoraError } from '../../contract/errors.js';
import { parseRankingsQuery, rankings, type RankingRow, type RankingsAnswer, type RankingsQuery } from '../../rankings/query.js';
import { ALL_ACCOUNTS, DIMENSIONS } from '../../rankings/rollup.js';
import { openStore, type Store } from '../../store/index.js';
import { databaseUrl, loadConfigOrExit } from '../options.js';

interface RankingsOptions {
  by?: string;
  period?: string;
  metric?: string;
  from?: string;
  to?: string;
  limit?: string;
  series?: string;
  account?: string;
  config?: string;
  db?: string;
  url?: string;
  key?: string;
  json: boolean;
}

/** Columns a full bar (100 %) spans. */
const BAR_WIDTH = 24;
/** Eighths of a cell, from one eighth to a full block. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A bar whose width is proportional to `share` (percent), to an eighth of a column; any share above 0 shows. */
export function shareBar(share: number, width = BAR_WIDTH): string {
  const eighths = Math.max(share > 0 ? 1 : 0, Math.round((Math.min(100, Math.max(0, share)) / 100) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

/** Values as a line of block heights, scaled to the line's own maximum (blank where zero). */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((value) => (value <= 0 || max === 0 ? ' ' : SPARKS[Math.min(7, Math.floor((value / max) * 7.999))]!)).join('');
}

const whole = (value: number): string => value.toLocaleString('en-US');

/** USD with cents, or with significant digits when under a cent. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  if (Math.abs(value) >= 0.01) return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const digits = value.toPrecision(2);
  return `$${digits.includes('e') ? digits : digits.replace(/0+$/, '')}`;
}

export function percent(share: number): string {
  return `${share >= 10 || share === 0 ? share.toFixed(1) : share >= 0.1 ? share.toFixed(2) : share.toFixed(3)}%`;
}

export function changeText(change: number | null): string {
  if (change === null) return 'new';
  if (change === 0) return '= 0%';
  const size = Math.abs(change);
  return `${change > 0 ? '▲' : '▼'} ${size >= 100 ? whole(Math.round(size)) : size.toFixed(1)}%`;
}

/** An aligned table: columns listed in `right` are right-aligned. Widths count code points (the bars are one column each). */
function render(headers: string[], rows: string[][], right: ReadonlySet<number>): string {
  const length = (text: string): number => [...text].length;
  const widths = headers.map((header, column) => Math.max(length(header), ...rows.map((row) => length(row[column] ?? ''))));
  const pad = (text: string, column: number): string => {
    const gap = ' '.repeat(widths[column]! - length(text));
    return right.has(column) ? gap + text : text + gap;
  };
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => pad(cell, column))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)].join('\n');
}

const day = (iso: string): string => iso.slice(0, 10);
const instant = (iso: string): string => (iso.endsWith('T00:00:00.000Z') ? day(iso) : iso.slice(0, 16).replace('T', ' '));

/** "week of 2026-11-23 – 2026-11-29": the last day shown is the last one inside the window. */
function windowText(from: string, to: string): string {
  if (from.endsWith('T00:00:00.000Z') && to.endsWith('T00:00:00.000Z')) {
    const last = day(new Date(Date.parse(to) - 86_400_000).toISOString());
    return last === day(from) ? day(from) : `${day(from)} – ${last}`;
  }
  return `${instant(from)} – ${instant(to)}`;
}

/** A ranking row as the API gives it: for `by=author`, with the author's country (null when the catalog does not know it). */
export type ShownRow = RankingRow & { country?: string | null };

export function formatRankings(
  answer: RankingsAnswer & { data: ShownRow[] },
  query: RankingsQuery,
  scope: { account?: string | undefined; keyAccount?: boolean } = {},
): string {
  const explicit = query.from !== undefined || query.to !== undefined;
  const whose = scope.keyAccount ? "the key's account" : scope.account === undefined ? 'whole gateway' : `account ${scope.account}`;
  const lines = [
    `Rankings by ${answer.by}, share of ${answer.metric} — ${explicit ? 'window' : answer.period} ${windowText(answer.from, answer.to)} (UTC), ${whose}`,
    `compared with ${windowText(answer.previous.from, answer.previous.to)}`,
    '',
  ];
  if (answer.data.length === 0) {
    lines.push(
      'No traffic recorded in this window.',
      'Rankings count the requests recorded by the gateways on this database: start one with `agora serve --db …`, create a',
      'key with `agora keys create`, and send requests to POST /v1/chat/completions; or look at another window (--period, --from, --to).',
    );
    return `${lines.join('\n')}\n`;
  }
  const countries = answer.by === 'author';
  const row = (item: ShownRow, rank: string): string[] => [
    rank,
    item.name,
    ...(countries ? [item.country ?? ''] : []),
    percent(item.share),
    shareBar(item.share),
    whole(item.tokens),
    whole(item.requests),
    usd(item.cost),
    changeText(item.change),
  ];
  const rows = answer.data.map((item) => row(item, String(item.rank)));
  if (answer.others) rows.push(row(answer.others, '…'));
  const totalRow = row({ ...answer.total, name: 'total' }, '');
  totalRow[countries ? 4 : 3] = ''; // no bar for the total
  rows.push(totalRow);
  const headers = ['#', answer.by.toUpperCase(), ...(countries ? ['COUNTRY'] : []), 'SHARE', '', 'TOKENS', 'REQUESTS', 'COST', 'CHANGE'];
  const right = new Set(headers.map((header, column) => column).filter((column) => column === 0 || column >= (countries ? 3 : 2)));
  right.delete(countries ? 4 : 3); // the bars grow from the left
  lines.push(render(headers, rows, right));
  if (answer.others) lines.push(`(…: the names below the top ${whole(answer.data.length)}, summed; --limit shows more)`);
  if (answer.series) {
    const { buckets, data, interval } = answer.series;
    lines.push(
      '',
      `${answer.metric} per ${interval}, ${instant(buckets[0] ?? answer.from)} → ${instant(buckets[buckets.length - 1] ?? answer.to)} (each line scaled to its own peak):`,
    );
    const seriesRows = data.map((line) => {
      const total = line.values.reduce((sum, value) => sum + value, 0);
      const peak = Math.max(0, ...line.values);
      const format = answer.metric === 'cost' ? usd : (value: number) => whole(Math.round(value));
      return [line.name, sparkline(line.values), format(total), format(peak)];
    });
    lines.push(render(['NAME', interval.toUpperCase() + 'S', 'TOTAL', 'PEAK'], seriesRows, new Set([2, 3])));
  }
  return `${lines.join('\n')}\n`;
}

/** A 400's message with the flags' names in place of the query parameters' (`'from'` → `--from`). */
function flagNames(message: string): string {
  return message.replace(/'(by|period|metric|from|to|limit|series)'/g, '--$1');
}

/** The catalog's author countries (config file over the synced catalog over the bundled one), as the gateway knows them. */
async function authorCountries(store: Store, config: string | undefined): Promise<(author: string) => string | null> {
  const synced = (await store.catalog.version()) > 0 ? fromRows(await store.catalog.all()) : undefined;
  const authors = loadConfigOrExit(config, synced).authors;
  return (author) => authors.get(author)?.country ?? null;
}

type Shown = RankingsAnswer & { data: ShownRow[]; scope: 'gateway' | 'account' };

/** The answer of a running gateway's GET /api/v1/rankings, or the reason there is none. */
async function fromGateway(url: string, key: string, given: Record<string, string | undefined>): Promise<Shown | string> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(given)) if (value !== undefined) params.set(name, value);
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/+$/, '')}/api/v1/rankings?${params}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `could not reach the gateway at ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `the gateway at ${url} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`;
  }
  if (response.status !== 200) {
    const message = (body as { error?: { message?: string } }).error?.message ?? text.slice(0, 200);
    return `the gateway answered ${response.status}: ${flagNames(message)}`;
  }
  return body as Shown;
}

export function registerRankings(program: Command): void {
  program
    .command('rankings')
    .description("market share of the gateway's traffic, from the usage rollups, as a table with bars")
    .option('--by <dimension>', `group by ${DIMENSIONS.join(' | ')}`, 'model')
    .option('--period <period>', 'day | week (from Monday) | month, UTC; the current one unless --from/--to', 'week')
    .option('--metric <metric>', 'tokens | requests | cost: what the share is of', 'tokens')
    .option('--from <iso>', 'start of an explicit window (ISO 8601 date or date-time, or Unix seconds)')
    .option('--to <iso>', 'end of an explicit window (excluded); with only one of --from/--to the window is one --period long')
    .option('--limit <n>', 'names listed (1–1000); the rest are summed as …', '20')
    .option('--series <interval>', 'day | hour: add a sparkline of the metric per day or hour for each name')
    .option('--url <url>', "ask this running gateway's API instead of reading the database (env AGORA_URL)")
    .option(
      '--key <key>',
      'with --url: an API key of that gateway; an admin key sees the whole gateway, another its account (env AGORA_API_KEY)',
    )
    .option('--db <url>', 'without --url: the database the gateway writes (env AGORA_DB)')
    .option('--account <id>', "without --url: one account's traffic (what its keys see), instead of the whole gateway's")
    .option('--config <file>', "without --url: YAML config file, for the authors' countries with --by author (env AGORA_CONFIG)")
    .option('--json', 'print the answer as JSON (the shape of GET /api/v1/rankings)', false)
    .addHelpText(
      'after',
      `
With --url (or AGORA_URL) it asks that gateway's GET /api/v1/rankings with --key; without, it reads
the database a gateway writes (the same --db / AGORA_DB as \`agora serve\`), no gateway or key needed.
Rankings count the requests the gateways on that database recorded, from rollups updated with each
batch of records.

Examples:
  agora rankings --by author --period month
  agora rankings --by app --metric requests --series day
  agora rankings --by model --account acct_123 --period day --series hour
  agora rankings --by provider --from 2026-01-01 --to 2026-02-01 --json
  agora rankings --url http://127.0.0.1:8700 --key sk-agora-… --by app`,
    )
    .action(async (options: RankingsOptions) => {
      const fail = (message: string): never => {
        process.stderr.write(`agora: ${message}\n`);
        process.exit(1);
      };
      const given: Record<string, string | undefined> = {
        by: options.by,
        period: options.period,
        metric: options.metric,
        from: options.from,
        to: options.to,
        limit: options.limit,
        series: options.series,
      };
      let query: RankingsQuery;
      try {
        query = parseRankingsQuery((name) => given[name] ?? null);
      } catch (error) {
        if (error instanceof AgoraError) return fail(flagNames(error.message));
        throw error;
      }
      if (options.account !== undefined) {
        if (options.account === '' || options.account === ALL_ACCOUNTS)
          fail('--account expects an account id (omit it for the whole gateway)');
        if (query.by === 'account') fail('--by account ranks the accounts of the whole gateway: drop --account');
      }
      const gatewayUrl = options.url ?? (process.env.AGORA_URL || undefined);
      if (gatewayUrl !== undefined) {
        if (options.db !== undefined) fail('--db reads the database, --url asks a running gateway: give one of them');
        if (options.account !== undefined)
          fail('--account reads the database; through --url the key decides: an ordinary key shows its own account');
        const key = options.key ?? (process.env.AGORA_API_KEY || undefined);
        if (!key) return fail('a key is needed to ask the gateway: --key KEY or AGORA_API_KEY (agora keys create makes one)');
        const answer = await fromGateway(gatewayUrl, key, given);
        if (typeof answer === 'string') return fail(answer);
        process.stdout.write(
          options.json ? `${JSON.stringify(answer, null, 2)}\n` : formatRankings(answer, query, { keyAccount: answer.scope === 'account' }),
        );
        return;
      }
      if (options.key !== undefined) fail('--key goes with --url (a running gateway); the database needs no key');
      const url = databaseUrl(options.db);
      if (url.startsWith('sqlite:') && url !== 'sqlite::memory:' && !existsSync(url.slice('sqlite:'.length))) {
        fail(
          `no database at ${url.slice('sqlite:'.length)}: pass the one your gateway uses with --db (or AGORA_DB); \`agora serve\` creates it on first start`,
        );
      }
      const store = await openStore(url);
      let answer: RankingsAnswer & { data: ShownRow[] };
      try {
        answer = await rankings(store.rollups, options.account ?? ALL_ACCOUNTS, query);
        if (query.by === 'author') {
          const countryOf = await authorCountries(store, options.config);
          for (const row of answer.data) Object.assign(row, { country: countryOf(row.name) });
        }
      } finally {
        await store.close();
      }
      const scope = options.account === undefined ? 'gateway' : 'account';
      process.stdout.write(
        options.json ? `${JSON.stringify({ ...answer, scope }, null, 2)}\n` : formatRankings(answer, query, { account: options.account }),
      );
    });
}
