/**
 * What a finished request adds to the rankings: its counts (requests, errors, prompt, completion,
 * reasoning and cached tokens, cost) under every dimension — model, author, the author's country,
 * provider, app, key, and (for the whole gateway) account — per UTC hour and per UTC day, once for
 * the request's account and once for the whole gateway (account `*`).
 *
 * A batch is first collapsed by the request's own tuple (hour, model, provider, app, key, account),
 * so a busy batch costs one map update per record and a few upserts per distinct tuple.
 */
import type { NewGeneration } from '../store/repos/generations.js';
import type { RollupDelta } from '../store/repos/rollups.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The dimensions rankings group by. `account` is counted for the whole gateway only. */
export const DIMENSIONS = ['model', 'author', 'country', 'provider', 'app', 'key', 'account'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** The whole gateway's rows. */
export const ALL_ACCOUNTS = '*';
/** Names for what a record does not say. */
export const UNKNOWN = '(unknown)';
export const UNATTRIBUTED = '(unattributed)';

/** The author's country, from the catalog of the moment (undefined when the catalog does not know it). */
export type CountryOf = (author: string) => string | undefined;

/** `author/slug[:variant]` → author (OpenRouter's `~author/…` aliases count for the author). */
export function authorOf(model: string): string {
  const slash = model.indexOf('/');
  return slash === -1 ? UNKNOWN : model.slice(model.startsWith('~') ? 1 : 0, slash);
}

/** The app a record is attributed to, as OpenRouter does: its X-Title, else its HTTP-Referer's host, else none. */
export function appOf(row: Pick<NewGeneration, 'app_title' | 'app_referer'>): string {
  if (row.app_title) return row.app_title;
  if (row.app_referer) {
    try {
      return new URL(row.app_referer).host || row.app_referer;
    } catch {
      return row.app_referer;
    }
  }
  return UNATTRIBUTED;
}

/** Whose traffic a record is: its account, or its key when the key has no account. */
export function accountOf(row: Pick<NewGeneration, 'account_id' | 'key_id'>): string {
  return row.account_id ?? (row.key_id ? `key:${row.key_id}` : UNKNOWN);
}

interface Tuple {
  hour: number;
  model: string;
  provider: string;
  app: string;
  key: string;
  account: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cost: number;
}

/** What a rollup row counts (every one summed the same way). */
export const COUNTERS = ['requests', 'errors', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'cached_tokens', 'cost'] as const;

export type Counts = Record<(typeof COUNTERS)[number], number>;

/** Every counter at zero. */
export function zeroCounts(): Counts {
  return { requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0, cost: 0 };
}

export function rollupDeltas(rows: readonly NewGeneration[], countryOf: CountryOf): RollupDelta[] {
  const tuples = new Map<string, Tuple>();
  for (const row of rows) {
    const hour = Math.floor(Number(row.created_at) / HOUR_MS) * HOUR_MS;
    const provider = row.provider ?? UNKNOWN;
    const app = appOf(row);
    const key = row.key_id ?? UNKNOWN;
    const account = accountOf(row);
    const id = `${hour}\u0000${row.model}\u0000${provider}\u0000${app}\u0000${key}\u0000${account}`;
    let tuple = tuples.get(id);
    if (!tuple) {
      tuple = {
        hour,
        model: row.model,
        provider,
        app,
        key,
        account,
        requests: 0,
        errors: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        reasoning_tokens: 0,
        cached_tokens: 0,
        cost: 0,
      };
      tuples.set(id, tuple);
    }
    tuple.requests++;
    if (row.status !== 'success') tuple.errors++;
    tuple.prompt_tokens += row.prompt_tokens ?? 0;
    tuple.completion_tokens += row.completion_tokens ?? 0;
    tuple.reasoning_tokens += row.reasoning_tokens ?? 0;
    tuple.cached_tokens += row.cached_tokens ?? 0;
    tuple.cost += row.cost ?? 0;
  }
  const deltas = new Map<string, RollupDelta>();
  const add = (grain: 'h' | 'd', dim: Dimension, account: string, bucket: number, name: string, tuple: Tuple): void => {
    const id = `${grain}\u0000${dim}\u0000${account}\u0000${bucket}\u0000${name}`;
    let delta = deltas.get(id);
    if (!delta) {
      delta = { grain, dim, account, bucket, name, ...zeroCounts() };
      deltas.set(id, delta);
    }
    for (const counter of COUNTERS) delta[counter] += tuple[counter];
  };
  for (const tuple of tuples.values()) {
    const author = authorOf(tuple.model);
    const names: Array<[Dimension, string]> = [
      ['model', tuple.model],
      ['author', author],
      ['country', countryOf(author) ?? UNKNOWN],
      ['provider', tuple.provider],
      ['app', tuple.app],
      ['key', tuple.key],
    ];
    const day = Math.floor(tuple.hour / DAY_MS) * DAY_MS;
    for (const [grain, bucket] of [
      ['h', tuple.hour],
      ['d', day],
    ] as const) {
      for (const [dim, name] of names) {
        add(grain, dim, tuple.account, bucket, name, tuple);
        add(grain, dim, ALL_ACCOUNTS, bucket, name, tuple);
      }
      add(grain, 'account', ALL_ACCOUNTS, bucket, tuple.account, tuple);
    }
  }
  return [...deltas.values()];
}
