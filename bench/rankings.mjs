#!/usr/bin/env node
// npm run bench:rankings — rankings at scale. A seeded generator makes N recorded requests spread
// like a real gateway's traffic (90 days growing to twice the volume, 200 models of 40 authors in 8
// countries, 30 providers, 100 apps plus unattributed traffic, 500 keys in 50 accounts, Zipf-like
// popularity everywhere, ~3% errors and some cancellations); they are written with their rollups on
// SQLite and on PostgreSQL, and then every ranking query — each `by`, `period` and `metric`, with and
// without `series=day`, for the whole gateway and for one account — is timed through `rankings()`,
// a few also over HTTP through a gateway on that database. Then the cost of the rollups per recorded
// request: `insertMany(rows)` against `insertMany(rows, rollupDeltas)` on the same batches,
// interleaved. Bar: every ranking query under 50 ms at 10M records, and no growth from 1M to 10M.
//
// The loader. `--loader fast` (default) is a bulk loader, not the gateway's write path: the same
// records, one UTC day per transaction, written with multi-row INSERTs (SQLite: a raw better-sqlite3
// connection, 64 rows per prepared statement, synchronous=OFF; PostgreSQL: INSERT … SELECT FROM
// unnest($1::text[], …), 10,000 rows per statement, synchronous_commit=off), and the day's rollups
// from an aggregator over typed arrays (the generator knows each record's model, key, app … as small
// integers) instead of `rollupDeltas`, written once per day with the repository's own upsert
// semantics (ON CONFLICT … DO UPDATE SET n = n + excluded.n). Before loading, a dense sample is
// written both ways — bulk, and `insertMany(batch, rollupDeltas)` as the gateway does — into two
// fresh databases of the same kind, and the two rollup tables are compared row by row: they must be
// identical, or the bench stops. `--loader real` writes the whole load the gateway's way (slow).
import { rmSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/lib/logger.js';
import { newGenerationId } from '../dist/lib/ids.js';
import { startGateway } from '../dist/main.js';
import { parseRankingsQuery, rankings } from '../dist/rankings/query.js';
import { ALL_ACCOUNTS, UNATTRIBUTED, UNKNOWN, accountOf, appOf, authorOf, rollupDeltas } from '../dist/rankings/rollup.js';
import { openStore } from '../dist/store/index.js';
import { GENERATION_COLUMNS } from '../dist/store/repos/generations.js';
import { ROLLUP_COLUMNS } from '../dist/store/repos/rollups.js';
import { seededRandom as random } from './lib.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:rankings -- [--sizes 1e6,1e7] [--db sqlite,pg] [--postgres URL]
                                  [--runs R] [--loader fast|real] [--seed S] [--detail]
  --sizes LIST      recorded requests per run, comma-separated (default 1e6,1e7)
  --db LIST         sqlite, pg (or postgres), comma-separated (default sqlite,pg). SQLite: a file under
                    ${tmpdir()}, deleted after
  --postgres URL    the PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/test); each run
                    gets a private schema bench_rankings_<pid>_<n>, dropped after
  --runs R          timed calls per query kind after 2 warm-up calls; median and p99 (default 100)
  --loader fast     bulk loader: multi-row INSERTs, one UTC day per transaction, rollups from a
                    typed-array aggregator (default; checked against the real path on a sample first)
  --loader real     the gateway's own write path: insertMany(batch, rollupDeltas), 10,000 per batch (slow)
  --seed S          generator seed (default 20260)
  --detail          print every query kind (252 of them per database and size), not only the summaries
  --keep            keep each loaded database (its URL is printed) instead of dropping it
  --reuse URLS      time databases kept by an earlier run (comma-separated URLs) again, without
                    loading (the rollup-cost step adds a few thousand records to them)
Progress goes to stderr, the report (markdown tables) to stdout. For 10M records allow ~10 GB of disk
per database and an hour or more: run it under nohup and follow stderr.
Bar: every ranking query under 50 ms at 10M recorded requests on SQLite and PostgreSQL, and query
time that does not grow with the number of records (1M against 10M).`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] !== undefined ? args[index + 1] : fallback;
};
const SIZES = option('--sizes', '1e6,1e7')
  .split(',')
  .map((text) => Math.round(Number(text)));
if (SIZES.some((size) => !Number.isFinite(size) || size < 1000)) {
  console.error('--sizes expects numbers of at least 1000, e.g. 1e6,1e7');
  process.exit(1);
}
const RUNS = Number(option('--runs', '100'));
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('--runs expects a whole number of at least 1');
  process.exit(1);
}
const LOADER = option('--loader', 'fast');
if (LOADER !== 'fast' && LOADER !== 'real') {
  console.error('--loader expects fast or real');
  process.exit(1);
}
const SEED = Number(option('--seed', '20260'));
const POSTGRES = option('--postgres', 'postgres://postgres@127.0.0.1:5432/test');
const DETAIL = args.includes('--detail');
const KEEP = args.includes('--keep');
const REUSE = option('--reuse', undefined)?.split(',');
const DATABASES = [
  ...new Set(
    option('--db', 'sqlite,pg')
      .split(',')
      .map(
        (name) => ({ sqlite: 'sqlite', pg: 'postgres', postgres: 'postgres', postgresql: 'postgres' })[name.trim().toLowerCase()] ?? name,
      ),
  ),
];
if (DATABASES.length === 0 || DATABASES.some((kind) => kind !== 'sqlite' && kind !== 'postgres')) {
  console.error(`--db expects sqlite, pg or both, comma-separated; got ${option('--db', '')}`);
  process.exit(1);
}
const KNOWN = new Set(['--sizes', '--db', '--postgres', '--runs', '--loader', '--seed', '--detail', '--keep', '--reuse', '--help', '-h']);
const unknown = args.filter((arg) => arg.startsWith('-') && !KNOWN.has(arg));
if (unknown.length > 0) {
  console.error(`unknown option ${unknown[0]} (see --help)`);
  process.exit(1);
}
const BAR_MS = 50;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The bench's "now": the end of the generated traffic, and the moment every query is asked at. */
const NOW = Date.now();
const SPAN_DAYS = 90;
const MASTER = 'sk-agora-bench-rankings-master-0123456789';

// ---------------------------------------------------------------------------------------------
// Progress

const startedAt = performance.now();
function log(message) {
  const seconds = Math.round((performance.now() - startedAt) / 1000);
  process.stderr.write(`[${String(Math.floor(seconds / 60)).padStart(3)}m${String(seconds % 60).padStart(2, '0')}s] ${message}\n`);
}
const duration = (ms) => {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
};
const count = (value) => value.toLocaleString('en-US');
const short = (size) =>
  size >= 1e6
    ? `${Number((size / 1e6).toFixed(size % 1e6 === 0 ? 0 : 2))}M`
    : size >= 1e3 && size % 1e3 === 0
      ? `${size / 1e3}k`
      : String(size);

/** Progress of a long step on stderr, at most every 2 s: done / total, rate and ETA. */
function progress(label, total, unit = 'records') {
  const began = performance.now();
  let last = began;
  return (done, force = false) => {
    const now = performance.now();
    if (!force && now - last < 2_000) return;
    last = now;
    const rate = done / ((now - began) / 1000);
    const eta = rate > 0 ? ((total - done) / rate) * 1000 : 0;
    log(
      `${label}: ${count(done)} / ${count(total)} ${unit} (${((100 * done) / total).toFixed(1)}%), ${count(Math.round(rate))}/s, ` +
        `${done >= total ? `done in ${duration(now - began)}` : `ETA ${duration(eta)}`}`,
    );
  };
}

// ---------------------------------------------------------------------------------------------
// The world: authors, models, providers, apps, keys, accounts — seeded.

/**
 * A sampler of 0..n-1 with weight 1/(rank+1)^s over a permutation drawn from `rand` (rank 0 is not
 * index 0); the sampler draws from the generator it is given, so two runs with one seed agree.
 */
function zipf(rand, n, s) {
  const order = Array.from({ length: n }, (_, index) => index);
  for (let index = n - 1; index > 0; index--) {
    const other = Math.floor(rand() * (index + 1));
    [order[index], order[other]] = [order[other], order[index]];
  }
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) cumulative[rank] = total += 1 / Math.pow(rank + 1, s);
  const sample = (draw) => {
    const target = draw() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return order[low];
  };
  sample.top = order[0];
  return sample;
}

const AUTHOR_NAMES = [
  ['deepseek', 'CN'],
  ['qwen', 'CN'],
  ['meta-llama', 'US'],
  ['mistralai', 'FR'],
  ['google', 'US'],
  ['moonshotai', 'CN'],
  ['z-ai', 'CN'],
  ['minimax', 'CN'],
  ['openai', 'US'],
  ['microsoft', 'US'],
  ['nvidia', 'US'],
  ['cohere', 'CA'],
  ['ai21', 'IL'],
  ['baidu', 'CN'],
  ['tencent', 'CN'],
  ['01-ai', 'CN'],
  ['stepfun', 'CN'],
  ['bytedance', 'CN'],
  ['ibm-granite', 'US'],
  ['allenai', 'US'],
  ['nousresearch', 'US'],
  ['liquid', 'US'],
  ['arcee-ai', 'US'],
  ['thudm', 'CN'],
  ['internlm', 'CN'],
  ['upstage', 'KR'],
  ['lgai-exaone', 'KR'],
  ['sarvamai', 'IN'],
  ['tiiuae', 'AE'],
  ['inception', 'AE'],
  ['aleph-alpha', 'DE'],
  ['black-forest', 'DE'],
  ['huggingface', 'FR'],
  ['kyutai', 'FR'],
  ['stabilityai', 'GB'],
  ['deepmind-open', 'GB'],
  ['snowflake', 'US'],
  ['databricks', 'US'],
  ['xiaomi', 'CN'],
  ['inflection', 'US'],
];
const PROVIDER_NAMES = [
  'deepinfra',
  'together',
  'fireworks',
  'groq',
  'novita',
  'hyperbolic',
  'lambda',
  'nebius',
  'parasail',
  'baseten',
  'cerebras',
  'sambanova',
  'chutes',
  'siliconflow',
  'friendli',
  'mancer',
  'inferencenet',
  'featherless',
  'cloudflare',
  'targon',
  'atlas-cloud',
  'gmicloud',
  'nineteen',
  'kluster',
  'avian',
  'crusoe',
  'nscale',
  'phala',
  'enfer',
  'local-vllm',
];

function createWorld(seed) {
  const rand = random(seed);
  const countries = new Map(AUTHOR_NAMES);
  const pickAuthor = zipf(rand, AUTHOR_NAMES.length, 0.9);
  const models = [];
  for (let index = 0; index < 200; index++) {
    const author = AUTHOR_NAMES[index < AUTHOR_NAMES.length ? index : pickAuthor(rand)][0];
    const hostCount = 1 + Math.floor(rand() * rand() * 8);
    const hosts = new Set();
    while (hosts.size < Math.min(hostCount, PROVIDER_NAMES.length)) hosts.add(Math.floor(Math.pow(rand(), 1.6) * PROVIDER_NAMES.length));
    const hostList = [...hosts];
    models.push({
      id: `${author}/model-${index.toString().padStart(3, '0')}${rand() < 0.2 ? '-instruct' : ''}`,
      reasoning: rand() < 0.2,
      // USD per 1M tokens → nanodollars per token (1 USD / 1M tokens = 1000 nanodollars per token)
      prompt: Math.round((0.02 + rand() * rand() * 3) * 1000),
      completion: Math.round((0.05 + rand() * rand() * 9) * 1000),
      hosts: hostList,
      pickHost: zipf(rand, hostList.length, 1.2),
    });
  }
  const apps = [];
  for (let index = 0; index < 100; index++) {
    const host = `app-${index.toString().padStart(2, '0')}.example.com`;
    apps.push(
      rand() < 0.6 ? { title: `App ${index}`, referer: `https://${host}/` } : { title: null, referer: `https://${host}/chat?x=${index}` },
    );
  }
  const accounts = Array.from({ length: 50 }, (_, index) => `acct_bench_${index.toString().padStart(2, '0')}`);
  const pickAccountForKey = zipf(rand, accounts.length, 0.8);
  const keys = Array.from({ length: 500 }, (_, index) => ({
    id: `key_bench_${index.toString().padStart(3, '0')}`,
    account: index < accounts.length ? index : pickAccountForKey(rand),
  }));
  const world = {
    models,
    apps,
    keys,
    accounts,
    countryOf: (author) => countries.get(author),
    pickModel: zipf(rand, models.length, 1.1),
    pickApp: zipf(rand, apps.length, 1.0),
    pickKey: zipf(rand, keys.length, 1.0),
  };
  // Name tables for the fast aggregator, made with the rollup's own naming functions.
  const indexer = () => {
    const names = [];
    const index = new Map();
    return {
      names,
      of(name) {
        let at = index.get(name);
        if (at === undefined) index.set(name, (at = names.push(name) - 1));
        return at;
      },
    };
  };
  const authors = indexer();
  const countryNames = indexer();
  const modelAuthor = models.map((model) => authors.of(authorOf(model.id)));
  const modelCountry = models.map((model) => countryNames.of(world.countryOf(authorOf(model.id)) ?? UNKNOWN));
  const appNames = [...apps.map((app) => appOf({ app_title: app.title, app_referer: app.referer })), UNATTRIBUTED];
  const accountNames = keys.map((key) => accountOf({ account_id: accounts[key.account], key_id: key.id }));
  world.names = {
    model: models.map((model) => model.id),
    author: authors.names,
    country: countryNames.names,
    provider: [...PROVIDER_NAMES],
    app: appNames,
    key: keys.map((key) => key.id),
    account: accounts,
  };
  world.modelAuthor = modelAuthor;
  world.modelCountry = modelCountry;
  if (new Set(accountNames).size !== accounts.length || accountNames.some((name, index) => name !== accounts[keys[index].account])) {
    throw new Error('the generator expects every key to have its account');
  }
  return world;
}

/**
 * The traffic: `total` records from `start` to `end`, in time order, the volume growing linearly to
 * twice its first rate (so every period has a change against the one before). Calls `emit(batch)`
 * with batches of at most `batchSize` records that never cross a UTC day; a batch is `{ rows, day,
 * index }`, `index` holding each record's model, provider, app, key and account as small integers.
 */
async function generate(world, { seed, total, start, end, batchSize, emit }) {
  const rand = random(seed);
  const span = end - start;
  const growth = 1; // the last day has twice the traffic of the first
  const norm = 1 + growth / 2;
  const make = () => ({ rows: [], index: { model: [], provider: [], app: [], key: [], account: [] }, day: 0 });
  let batch = make();
  for (let number = 0; number < total; number++) {
    const u = (number + rand()) / total;
    const x = (-1 + Math.sqrt(1 + 2 * growth * norm * u)) / growth;
    const createdAt = start + Math.min(span - 1, Math.floor(x * span));
    const day = Math.floor(createdAt / DAY) * DAY;
    if (batch.rows.length > 0 && (batch.day !== day || batch.rows.length >= batchSize)) {
      await emit(batch);
      batch = make();
    }
    batch.day = day;
    const modelIndex = world.pickModel(rand);
    const model = world.models[modelIndex];
    const providerIndex = model.hosts[model.pickHost(rand)];
    const appIndex = rand() < 0.25 ? world.apps.length : world.pickApp(rand);
    const app = world.apps[appIndex];
    const keyIndex = world.pickKey(rand);
    const key = world.keys[keyIndex];
    const roll = rand();
    const status = roll < 0.03 ? 'error' : roll < 0.035 ? 'cancelled' : 'success';
    const failed = status === 'error';
    const prompt = failed ? null : Math.round(Math.exp(5 + rand() * 4.5 + rand() * 1.5));
    const completion = failed ? null : Math.round(Math.exp(3 + rand() * 3.5 + rand() * 1.5) * (status === 'cancelled' ? 0.3 : 1));
    const reasoning = failed || !model.reasoning ? null : Math.round(completion * (0.3 + rand() * 0.5));
    const cached = failed ? null : rand() < 0.3 ? Math.round(prompt * rand() * 0.8) : 0;
    const cost = failed ? 0 : prompt * model.prompt + completion * model.completion;
    const streamed = rand() < 0.6 ? 1 : 0;
    batch.rows.push({
      id: newGenerationId(createdAt),
      key_id: key.id,
      api: rand() < 0.97 ? 'chat' : 'embeddings',
      model: model.id,
      provider: PROVIDER_NAMES[providerIndex],
      upstream_model: model.id.split('/')[1],
      upstream_id: failed ? null : `chatcmpl-${number.toString(36)}`,
      streamed,
      status,
      http_status: failed ? [502, 503, 429, 500][number % 4] : 200,
      error_code: failed ? 'upstream_error' : null,
      error_message: failed ? 'Upstream answered 502 Bad Gateway' : null,
      finish_reason: failed ? 'error' : status === 'cancelled' ? null : 'stop',
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: failed ? null : prompt + completion,
      cached_tokens: cached,
      reasoning_tokens: reasoning,
      cache_write_tokens: null,
      usage_estimated: status === 'cancelled' ? 1 : 0,
      cost,
      latency_ms: Math.round(200 + rand() * 9000),
      ttft_ms: failed ? null : Math.round(80 + rand() * 900),
      app_referer: app?.referer ?? null,
      app_title: app?.title ?? null,
      attempts: null,
      created_at: createdAt,
      account_id: world.accounts[key.account],
    });
    batch.index.model.push(modelIndex);
    batch.index.provider.push(providerIndex);
    batch.index.app.push(appIndex);
    batch.index.key.push(keyIndex);
    batch.index.account.push(key.account);
  }
  if (batch.rows.length > 0) await emit(batch);
}

// ---------------------------------------------------------------------------------------------
// The fast aggregator: what rollupDeltas computes, over typed arrays indexed by small integers.

const COUNTERS = ['requests', 'errors', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'cached_tokens', 'cost'];
const WIDTH = COUNTERS.length;
const PER_ACCOUNT_DIMS = ['model', 'author', 'country', 'provider', 'app', 'key'];

function createAggregator(world) {
  const slots = world.accounts.length + 1; // the accounts, then `*`
  const star = world.accounts.length;
  const dims = [...PER_ACCOUNT_DIMS, 'account'].map((dim) => {
    const names = world.names[dim];
    return { dim, names, hours: new Float64Array(24 * slots * names.length * WIDTH), days: new Float64Array(slots * names.length * WIDTH) };
  });
  const byDim = Object.fromEntries(dims.map((entry) => [entry.dim, entry]));
  const add = (entry, hour, slot, name, values) => {
    const n = entry.names.length;
    let at = ((hour * slots + slot) * n + name) * WIDTH;
    const dayAt = (slot * n + name) * WIDTH;
    for (let counter = 0; counter < WIDTH; counter++) {
      entry.hours[at++] += values[counter];
      entry.days[dayAt + counter] += values[counter];
    }
  };
  const values = new Float64Array(WIDTH);
  /** The rollup rows of one batch (all within one UTC day), as the rows rollupDeltas would sum to. */
  return (batch) => {
    const { rows, index, day } = batch;
    for (let position = 0; position < rows.length; position++) {
      const row = rows[position];
      const hour = Math.floor((row.created_at - day) / HOUR);
      values[0] = 1;
      values[1] = row.status !== 'success' ? 1 : 0;
      values[2] = row.prompt_tokens ?? 0;
      values[3] = row.completion_tokens ?? 0;
      values[4] = row.reasoning_tokens ?? 0;
      values[5] = row.cached_tokens ?? 0;
      values[6] = row.cost ?? 0;
      const model = index.model[position];
      const account = index.account[position];
      const names = [
        model,
        world.modelAuthor[model],
        world.modelCountry[model],
        index.provider[position],
        index.app[position],
        index.key[position],
      ];
      for (let dim = 0; dim < PER_ACCOUNT_DIMS.length; dim++) {
        add(dims[dim], hour, account, names[dim], values);
        add(dims[dim], hour, star, names[dim], values);
      }
      add(byDim.account, hour, star, account, values);
    }
    const deltas = [];
    const emit = (entry, grain, array, buckets) => {
      const n = entry.names.length;
      for (let bucket = 0; bucket < buckets; bucket++) {
        for (let slot = 0; slot < slots; slot++) {
          for (let name = 0; name < n; name++) {
            const at = ((bucket * slots + slot) * n + name) * WIDTH;
            if (array[at] === 0) continue;
            const delta = {
              grain,
              dim: entry.dim,
              account: slot === star ? ALL_ACCOUNTS : world.accounts[slot],
              bucket: grain === 'h' ? day + bucket * HOUR : day,
              name: entry.names[name],
            };
            for (let counter = 0; counter < WIDTH; counter++) delta[COUNTERS[counter]] = array[at + counter];
            deltas.push(delta);
          }
        }
      }
      array.fill(0);
    };
    for (const entry of dims) {
      emit(entry, 'h', entry.hours, 24);
      emit(entry, 'd', entry.days, 1);
    }
    return deltas;
  };
}

// ---------------------------------------------------------------------------------------------
// Databases

let schemaCount = 0;
async function freshDatabase(kind, label) {
  if (kind === 'sqlite') {
    const path = join(tmpdir(), `agora-bench-rankings-${process.pid}-${label}.db`);
    const remove = () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    };
    remove();
    return {
      url: `sqlite:${path}`,
      drop: async () => remove(),
      size: async () => statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0),
      bulk: () => sqliteBulk(path),
    };
  }
  const schema = `bench_rankings_${process.pid}_${schemaCount++}`;
  const admin = async (query, values) => {
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    try {
      return await client.query(query, values);
    } finally {
      await client.end();
    }
  };
  return {
    url: `${POSTGRES}${POSTGRES.includes('?') ? '&' : '?'}schema=${schema}`,
    drop: async () => void (await admin(`drop schema if exists "${schema}" cascade`)),
    size: async () =>
      Number(
        (
          await admin(
            `select coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)), 0) as bytes from pg_tables where schemaname = $1`,
            [schema],
          )
        ).rows[0].bytes,
      ),
    vacuum: async () => {
      await admin(`vacuum analyze "${schema}".usage_rollups`);
      await admin(`vacuum analyze "${schema}".generations`);
    },
    bulk: () => postgresBulk(schema),
  };
}

async function addAccounts(store, world) {
  await store.db
    .insertInto('accounts')
    .values(world.accounts.map((id) => ({ id, name: id, mode: 'unlimited', created_at: NOW })))
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
}

// The bulk writers: `write(records, deltas)` adds one day's records and its rollups in one
// transaction; `close()` ends the connection. Tables and indexes are the store's own (the store has
// migrated the database first); the rollup upsert adds to existing rows exactly as RollupsRepo does.

const ROLLUP_KEY = ROLLUP_COLUMNS.slice(0, 5); // grain, dim, account, bucket, name
const ROLLUP_CONFLICT = `on conflict (${ROLLUP_KEY.join(', ')}) do update set ${ROLLUP_COLUMNS.slice(ROLLUP_KEY.length)
  .map((column) => `${column} = usage_rollups.${column} + excluded.${column}`)
  .join(', ')}`;

function sqliteBulk(path) {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // a bench database: a crash during the load just means a rerun
  db.pragma('cache_size = -262144');
  db.pragma('busy_timeout = 5000');
  const GROUP = 64; // rows per statement: 64 × 28 parameters, far below SQLite's limit
  const prepare = (table, columns, rows, suffix = '') =>
    db.prepare(
      `insert into ${table} (${columns.join(', ')}) values ${Array.from({ length: rows }, () => `(${columns.map(() => '?').join(', ')})`).join(', ')} ${suffix}`,
    );
  const statements = {
    generations: [prepare('generations', GENERATION_COLUMNS, GROUP), prepare('generations', GENERATION_COLUMNS, 1)],
    usage_rollups: [
      prepare('usage_rollups', ROLLUP_COLUMNS, GROUP, ROLLUP_CONFLICT),
      prepare('usage_rollups', ROLLUP_COLUMNS, 1, ROLLUP_CONFLICT),
    ],
  };
  const insert = (table, columns, rows) => {
    const [many, one] = statements[table];
    let start = 0;
    for (; start + GROUP <= rows.length; start += GROUP) {
      const values = [];
      for (let index = start; index < start + GROUP; index++) for (const column of columns) values.push(rows[index][column] ?? null);
      many.run(values);
    }
    for (; start < rows.length; start++) one.run(columns.map((column) => rows[start][column] ?? null));
  };
  const write = db.transaction((records, deltas) => {
    insert('generations', GENERATION_COLUMNS, records);
    insert('usage_rollups', ROLLUP_COLUMNS, deltas);
  });
  return {
    write: async (records, deltas) => write(records, deltas),
    close: async () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

async function postgresBulk(schema) {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`set search_path to "${schema}"`);
  await client.query('set synchronous_commit = off');
  // Each column's type, for the unnest casts.
  const types = new Map();
  for (const row of (
    await client.query(`select table_name, column_name, data_type from information_schema.columns where table_schema = $1`, [schema])
  ).rows)
    types.set(`${row.table_name}.${row.column_name}`, row.data_type);
  const CHUNK = 10_000;
  const statement = (table, columns, suffix = '') =>
    `insert into ${table} (${columns.join(', ')}) select * from unnest(${columns
      .map((column, index) => `$${index + 1}::${types.get(`${table}.${column}`)}[]`)
      .join(', ')}) ${suffix}`;
  const sql = {
    generations: statement('generations', GENERATION_COLUMNS),
    usage_rollups: statement('usage_rollups', ROLLUP_COLUMNS, ROLLUP_CONFLICT),
  };
  const insert = async (table, columns, rows) => {
    for (let start = 0; start < rows.length; start += CHUNK) {
      const slice = rows.slice(start, start + CHUNK);
      await client.query(
        sql[table],
        columns.map((column) => slice.map((row) => row[column] ?? null)),
      );
    }
  };
  return {
    write: async (records, deltas) => {
      await client.query('begin');
      try {
        await insert('generations', GENERATION_COLUMNS, records);
        await insert('usage_rollups', ROLLUP_COLUMNS, deltas);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    close: () => client.end(),
  };
}

/**
 * Writes `total` records (and their rollups) with the chosen loader; returns the load time in ms.
 * The fast loader writes through `database.bulk()`, one UTC day per transaction.
 */
async function load(store, database, world, { total, seed, start, end, loader, label }) {
  const aggregate = createAggregator(world);
  const tick = label ? progress(label, total) : () => undefined;
  let done = 0;
  const began = performance.now();
  const bulk = loader === 'fast' ? await database.bulk() : undefined;
  try {
    await generate(world, {
      seed,
      total,
      start,
      end,
      batchSize: loader === 'real' ? 10_000 : Number.MAX_SAFE_INTEGER,
      emit: async (batch) => {
        if (bulk) await bulk.write(batch.rows, aggregate(batch));
        else await store.generations.insertMany(batch.rows, (inserted) => rollupDeltas(inserted, world.countryOf));
        done += batch.rows.length;
        tick(done);
      },
    });
  } finally {
    await bulk?.close();
  }
  tick(done, true);
  const stored = await store.generations.count();
  if (stored !== total) throw new Error(`${label}: ${count(stored)} records in the database, ${count(total)} generated`);
  return performance.now() - began;
}

const rollupKey = (row) => `${row.grain}|${row.dim}|${row.account}|${row.bucket}|${row.name}`;

/** The bulk loader against the real write path, on a dense sample, into two fresh databases of `kind`. */
async function verifyFastLoader(kind, world) {
  const total = 60_000;
  const end = NOW;
  const start = end - 2 * DAY - 7 * HOUR; // three partial UTC days: day boundaries inside the sample
  const tables = [];
  for (const loader of ['real', 'fast']) {
    const database = await freshDatabase(kind, `verify-${loader}`);
    try {
      const store = await openStore(database.url);
      try {
        // the real path in the sink's own batch size, to show batch boundaries change nothing
        const aggregate = createAggregator(world);
        const bulk = loader === 'fast' ? await database.bulk() : undefined;
        try {
          await generate(world, {
            seed: SEED + 1,
            total,
            start,
            end,
            batchSize: loader === 'real' ? 1_000 : Number.MAX_SAFE_INTEGER,
            emit: (batch) =>
              bulk
                ? bulk.write(batch.rows, aggregate(batch))
                : store.generations.insertMany(batch.rows, (inserted) => rollupDeltas(inserted, world.countryOf)),
          });
        } finally {
          await bulk?.close();
        }
        tables.push({ rollups: await store.rollups.all(), generations: await store.generations.count() });
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  }
  const [real, fast] = tables;
  const realMap = new Map(real.rollups.map((row) => [rollupKey(row), row]));
  const differences = [];
  if (real.generations !== total || fast.generations !== total)
    differences.push(`records: real ${real.generations}, fast ${fast.generations}`);
  if (real.rollups.length !== fast.rollups.length)
    differences.push(`rollup rows: real ${real.rollups.length}, fast ${fast.rollups.length}`);
  for (const row of fast.rollups) {
    const other = realMap.get(rollupKey(row));
    if (!other) differences.push(`only in fast: ${rollupKey(row)}`);
    else if (COUNTERS.some((counter) => other[counter] !== row[counter])) differences.push(`differs: ${rollupKey(row)}`);
    if (differences.length > 5) break;
  }
  if (differences.length > 0)
    throw new Error(`the bulk loader's rollups differ from the real path's on ${kind}:\n  ${differences.join('\n  ')}`);
  log(
    `${kind}: bulk loader checked against insertMany(batch, rollupDeltas): ${count(total)} records, ${count(fast.rollups.length)} rollup rows, identical`,
  );
  return { records: total, rollupRows: fast.rollups.length };
}

// ---------------------------------------------------------------------------------------------
// Queries

const PERIODS = ['day', 'week', 'month'];
const METRICS = ['tokens', 'requests', 'cost'];
const BYS = ['model', 'author', 'country', 'provider', 'app', 'key', 'account'];

function queryKinds(account) {
  const kinds = [];
  for (const scope of ['gateway', 'account']) {
    for (const by of BYS) {
      if (by === 'account' && scope === 'account') continue; // admin keys only
      for (const period of PERIODS) {
        for (const metric of METRICS) {
          for (const series of [undefined, 'day']) {
            const params = { by, period, metric, ...(series ? { series } : {}) };
            kinds.push({ scope, account: scope === 'gateway' ? ALL_ACCOUNTS : account, params, group: 'standard' });
          }
        }
      }
    }
  }
  // Explicit windows that are not whole UTC days read the hourly rows.
  const to = Math.ceil(NOW / HOUR) * HOUR + (Math.ceil(NOW / HOUR) * HOUR === Math.ceil(NOW / DAY) * DAY ? HOUR : 0);
  for (const scope of ['gateway', 'account']) {
    for (const by of ['model', 'key', 'app']) {
      const base = { scope, account: scope === 'gateway' ? ALL_ACCOUNTS : account, group: 'hourly window' };
      const iso = (ms) => new Date(ms).toISOString();
      kinds.push({ ...base, params: { by, from: iso(to - 7 * DAY), to: iso(to) }, label: 'last 7 days, hourly' });
      kinds.push({ ...base, params: { by, from: iso(to - 7 * DAY), to: iso(to), series: 'hour' }, label: 'last 7 days, series=hour' });
      kinds.push({ ...base, params: { by, from: iso(to - 90 * DAY), to: iso(to) }, label: 'last 90 days, hourly' });
    }
  }
  return kinds.map((kind) => ({
    ...kind,
    query: parseRankingsQuery((name) => (kind.params[name] === undefined ? null : String(kind.params[name]))),
    name: `${kind.scope} ${Object.entries(kind.params)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
  }));
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p99: at(0.99) };
}
const ms = (value) => (value === undefined ? '' : value.toFixed(value < 10 ? 2 : 1));

/** Times every kind: 2 warm-up calls each, then RUNS rounds over all kinds (so noise spreads evenly). */
async function timeQueries(store, kinds, label) {
  const samples = kinds.map(() => []);
  const answers = kinds.map(() => undefined);
  for (let round = 0; round < 2; round++) {
    for (let index = 0; index < kinds.length; index++)
      answers[index] = await rankings(store.rollups, kinds[index].account, kinds[index].query, NOW);
  }
  const tick = progress(`${label} queries`, RUNS * kinds.length, 'queries');
  for (let round = 0; round < RUNS; round++) {
    for (let index = 0; index < kinds.length; index++) {
      const kind = kinds[index];
      const began = performance.now();
      const answer = await rankings(store.rollups, kind.account, kind.query, NOW);
      JSON.stringify(answer);
      samples[index].push(performance.now() - began);
    }
    tick((round + 1) * kinds.length, round === RUNS - 1);
  }
  return kinds.map((kind, index) => ({
    ...kind,
    ...stats(samples[index]),
    names: answers[index].data.length + (answers[index].others ? 1 : 0),
    requests: answers[index].total.requests,
  }));
}

/** A few queries over HTTP through a gateway on the database: admin key and an account's key. */
async function timeHttp(database, accountKey, label) {
  const config = loadConfig({ text: 'bundled_catalog: false\n', file: 'bench.yaml', env: {} });
  const running = await startGateway({
    config,
    databaseUrl: database.url,
    port: 0,
    host: '127.0.0.1',
    masterKey: MASTER,
    logger: createLogger('error'),
  });
  const results = [];
  try {
    const cases = [
      ['gateway', MASTER, 'by=model&period=week&metric=tokens'],
      ['gateway', MASTER, 'by=author&period=month&metric=tokens&series=day'],
      ['gateway', MASTER, 'by=key&period=month&metric=requests&series=day'],
      ['gateway', MASTER, 'by=app&period=day&metric=cost'],
      ['account', accountKey, 'by=model&period=month&metric=tokens&series=day'],
      ['account', accountKey, 'by=key&period=week&metric=cost'],
    ];
    for (const [scope, key, query] of cases) {
      const call = async () => {
        const answer = await request(`${running.url}/api/v1/rankings?${query}`, { headers: { authorization: `Bearer ${key}` } });
        const text = await answer.body.text();
        if (answer.statusCode !== 200) throw new Error(`${query}: ${answer.statusCode} ${text.slice(0, 200)}`);
        return JSON.parse(text);
      };
      const first = await call();
      await call();
      const samples = [];
      for (let run = 0; run < RUNS; run++) {
        const began = performance.now();
        await call();
        samples.push(performance.now() - began);
      }
      results.push({
        name: `HTTP ${scope} ${query.replaceAll('&', ' ')}`,
        ...stats(samples),
        names: first.data.length,
        requests: first.total.requests,
      });
    }
    log(`${label}: ${cases.length} queries over HTTP timed`);
  } finally {
    await running.shutdown(1_000);
  }
  return results;
}

/** What the rollups add to recording: insertMany(rows) against insertMany(rows, rollupDeltas), same kind of batches, interleaved. */
async function timeRollupCost(store, world, label) {
  const results = [];
  let seed = SEED + 1000;
  for (const batchSize of [100, 1_000]) {
    const rounds = batchSize === 100 ? 60 : 20;
    const timings = { without: [], with: [], js: [] };
    // live traffic: records of the last minutes (one hour bucket), like a running gateway's sink batches
    const batches = [];
    await generate(world, {
      seed: seed++,
      total: batchSize * rounds * 2,
      start: Date.now() - 60_000,
      end: Date.now(),
      batchSize,
      emit: (batch) => void batches.push(batch.rows),
    });
    // the generator cut batches at day boundaries: keep only full ones
    const full = batches.filter((rows) => rows.length === batchSize);
    for (let round = 0; round + 1 < full.length; round += 2) {
      const order = round % 4 === 0 ? ['without', 'with'] : ['with', 'without'];
      for (let step = 0; step < 2; step++) {
        const rows = full[round + step];
        const variant = order[step];
        const began = performance.now();
        if (variant === 'with') {
          let js = 0;
          await store.generations.insertMany(rows, (inserted) => {
            const jsStart = performance.now();
            const deltas = rollupDeltas(inserted, world.countryOf);
            js = performance.now() - jsStart;
            return deltas;
          });
          timings.js.push((js * 1000) / rows.length);
        } else {
          await store.generations.insertMany(rows);
        }
        timings[variant].push(((performance.now() - began) * 1000) / rows.length);
      }
    }
    const without = stats(timings.without).median;
    const withRollups = stats(timings.with).median;
    const js = stats(timings.js).median;
    results.push({ batchSize, batches: timings.with.length, without, with: withRollups, js, ratio: withRollups / without });
    log(
      `${label}: batches of ${batchSize}: ${without.toFixed(1)} µs/record without rollups, ${withRollups.toFixed(1)} with (${js.toFixed(1)} of it computing the deltas)`,
    );
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// The run

const world = createWorld(SEED);
const popularAccount = world.accounts[world.keys[world.pickKey.top].account];
const report = { load: [], queries: [], rollupCost: [], verified: [], reused: [], machine: [] };
const kindsTemplate = queryKinds(popularAccount);
log(
  `${REUSE ? `databases ${REUSE.join(', ')} reused` : `sizes ${SIZES.map(short).join(', ')} on ${DATABASES.join(' and ')}, loader ${LOADER}`}, ${kindsTemplate.length} query kinds × ${RUNS} runs; ` +
    `account scope: ${popularAccount} (the account of the busiest key)`,
);

/** Times the queries (in-process and over HTTP) and the rollup cost on a loaded database. */
async function measure(database, size, kind, label) {
  const store = await openStore(database.url);
  let accountKey;
  try {
    accountKey = (await store.keys.create({ name: 'bench-account', accountId: popularAccount })).key;
    const [before] = loadavg();
    const timed = await timeQueries(store, kindsTemplate, label);
    const [after] = loadavg();
    report.machine.push({ size, kind, before, after });
    for (const row of timed) report.queries.push({ size, kind, ...row });
    const slowest = timed.reduce((worst, row) => (row.p99 > worst.p99 ? row : worst));
    log(
      `${label}: slowest query ${slowest.name}: median ${ms(slowest.median)} ms, p99 ${ms(slowest.p99)} ms (load average ${before.toFixed(1)} → ${after.toFixed(1)})`,
    );
  } finally {
    await store.close();
  }
  for (const row of await timeHttp(database, accountKey, label)) report.queries.push({ size, kind, group: 'http', ...row });
  const again = await openStore(database.url);
  try {
    for (const row of await timeRollupCost(again, world, label)) report.rollupCost.push({ size, kind, ...row });
  } finally {
    await again.close();
  }
}

try {
  if (REUSE) {
    // Databases loaded by an earlier run (--keep): time them again, no load.
    for (const url of REUSE) {
      const kind = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
      const store = await openStore(url);
      const size = await store.generations.count();
      await store.close();
      report.reused.push({ size, kind, url });
      await measure({ url }, size, kind, `${kind} ${short(size)} (reused)`);
    }
  } else {
    if (LOADER === 'fast') for (const kind of DATABASES) report.verified.push({ kind, ...(await verifyFastLoader(kind, world)) });
    for (const size of SIZES) {
      for (const kind of DATABASES) {
        const label = `${kind} ${short(size)}`;
        const database = await freshDatabase(kind, short(size));
        try {
          const store = await openStore(database.url);
          try {
            await addAccounts(store, world);
            const loadMs = await load(store, database, world, {
              total: size,
              seed: SEED,
              start: NOW - SPAN_DAYS * DAY,
              end: NOW,
              loader: LOADER,
              label: `${label} load`,
            });
            const rollupRows = Number(
              (
                await store.db
                  .selectFrom('usage_rollups')
                  .select((eb) => eb.fn.countAll().as('count'))
                  .executeTakeFirstOrThrow()
              ).count,
            );
            // PostgreSQL: what autovacuum would have done by now on a live database (visibility map, statistics)
            const vacuumStart = performance.now();
            await database.vacuum?.();
            const vacuumMs = performance.now() - vacuumStart;
            const bytes = await database.size();
            report.load.push({ size, kind, loadMs, rollupRows, bytes, vacuumMs });
            log(
              `${label}: loaded in ${duration(loadMs)}, ${count(rollupRows)} rollup rows, ${(bytes / 1e9).toFixed(2)} GB${database.vacuum ? `, vacuum analyze ${duration(vacuumMs)}` : ''}`,
            );
          } finally {
            await store.close();
          }
          await measure(database, size, kind, label);
        } finally {
          if (KEEP) log(`${label}: kept ${database.url} (time it again with --reuse ${database.url})`);
          else await database.drop();
        }
      }
    }
  }
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The report

function table(headers, rows) {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => String(row[column] ?? '').length)));
  const line = (cells) => `| ${cells.map((cell, column) => String(cell ?? '').padEnd(widths[column])).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
const runs = [];
for (const row of report.machine) runs.push({ size: row.size, kind: row.kind, label: `${short(row.size)} ${row.kind}` });
const SIZES_RUN = [...new Set(runs.map((run) => run.size))];
const KINDS_RUN = [...new Set(runs.map((run) => run.kind))];
const worstOf = (rows) =>
  rows.length === 0 ? '' : `${ms(Math.max(...rows.map((row) => row.median)))} / ${ms(Math.max(...rows.map((row) => row.p99)))}`;
const grouped = (filter, keyOf) => {
  const keys = [...new Set(report.queries.filter(filter).map(keyOf))];
  return keys.map((key) => [
    key,
    ...runs.map((run) =>
      worstOf(report.queries.filter((row) => filter(row) && row.size === run.size && row.kind === run.kind && keyOf(row) === key)),
    ),
  ]);
};
const standard = (row) => row.group === 'standard';

console.log(
  `\n## bench:rankings — ${new Date().toISOString()} — node ${process.version}, seed ${SEED}, loader ${LOADER}, ${RUNS} runs per query kind (after 2 warm-up calls)\n`,
);
console.log(
  `Traffic: ${SPAN_DAYS} days up to now (volume growing 1× → 2×), ${world.names.model.length} models of ${world.names.author.length} authors in ${world.names.country.length} countries, ${world.names.provider.length} providers, ${world.apps.length} apps + 25% unattributed, ${world.keys.length} keys in ${world.accounts.length} accounts, Zipf popularity, 3% errors + 0.5% cancelled. Account scope: ${popularAccount} (the busiest key's account). Medians / p99 in ms; a cell is the worst over the kinds it covers.\n`,
);
console.log(
  `Machine: ${cpus().length} CPUs; 1-minute load average at the start → end of each run's query timing: ${report.machine
    .map((row) => `${short(row.size)} ${row.kind} ${row.before.toFixed(1)} → ${row.after.toFixed(1)}`)
    .join(', ')} (above the CPU count, other work competed for the CPU and the tails show it).\n`,
);
if (report.reused.length > 0) {
  console.log(
    `Reused databases (loaded by an earlier run, not loaded here): ${report.reused.map((row) => `${row.url} (${count(row.size)} records)`).join(', ')}.\n`,
  );
}
if (report.verified.length > 0) {
  console.log(
    `Bulk loader checked against insertMany(batch of 1,000, rollupDeltas) on ${report.verified.map((row) => `${row.kind} (${count(row.records)} records, ${count(row.rollupRows)} rollup rows)`).join(', ')}: identical rollup tables.\n`,
  );
}
console.log('### Load\n');
console.log(
  table(
    ['records', 'database', 'load', 'records/s', 'rollup rows', 'rollup rows / record', 'database size'],
    report.load.map((row) => [
      count(row.size),
      row.kind,
      duration(row.loadMs),
      count(Math.round(row.size / (row.loadMs / 1000))),
      count(row.rollupRows),
      (row.rollupRows / row.size).toFixed(2),
      `${(row.bytes / 1e9).toFixed(2)} GB`,
    ]),
  ),
);
console.log(
  `\n### Ranking queries through rankings(): worst median / worst p99 (ms), by period, series and scope (over every by and metric)\n`,
);
console.log(
  table(
    ['query kind', ...runs.map((run) => run.label)],
    grouped(standard, (row) => `${row.scope} period=${row.params.period}${row.params.series ? ' series=day' : ''}`),
  ),
);
console.log(`\n### … by dimension and scope (over every period, metric and series)\n`);
console.log(
  table(
    ['query kind', ...runs.map((run) => run.label)],
    grouped(standard, (row) => `${row.scope} by=${row.params.by}`),
  ),
);
console.log(`\n### Explicit windows that are not whole UTC days (hourly rollups), by=model|key|app\n`);
console.log(
  table(
    ['query kind', ...runs.map((run) => run.label)],
    grouped(
      (row) => row.group === 'hourly window',
      (row) => `${row.scope} ${row.label}`,
    ),
  ),
);
console.log(`\n### Over HTTP (GET /api/v1/rankings through a gateway on the database)\n`);
console.log(
  table(
    ['query', ...runs.map((run) => run.label)],
    grouped(
      (row) => row.group === 'http',
      (row) => row.name,
    ),
  ),
);
if (DETAIL) {
  console.log(`\n### Every query kind: median / p99 ms (names listed, requests in the window)\n`);
  console.log(
    table(
      ['query kind', ...runs.map((run) => run.label)],
      [...new Set(report.queries.map((row) => row.name))].map((name) => [
        name,
        ...runs.map((run) => {
          const row = report.queries.find((item) => item.name === name && item.size === run.size && item.kind === run.kind);
          return row ? `${ms(row.median)} / ${ms(row.p99)} (${row.names}, ${count(row.requests)})` : '';
        }),
      ]),
    ),
  );
}
const standardCount = kindsTemplate.filter((kind) => kind.group === 'standard').length;
const hourlyCount = kindsTemplate.filter((kind) => kind.group === 'hourly window').length;
console.log(
  `\n### Summary per run: the ${standardCount} standard kinds (every by × period day|week|month × metric × no series|series=day, for the whole gateway and for one account: calendar periods, read from day rows) and the ${hourlyCount} explicit windows not on UTC days (day rows inside, hour rows at the edges; series=hour)\n`,
);
const summarize = (run, filter) => {
  const rows = report.queries.filter((row) => filter(row) && row.size === run.size && row.kind === run.kind);
  if (rows.length === 0) return undefined;
  const medians = rows.map((row) => row.median).sort((a, b) => a - b);
  const slowest = rows.reduce((worst, row) => (row.p99 > worst.p99 ? row : worst), rows[0]);
  return {
    ...run,
    middle: medians[Math.floor(medians.length / 2)],
    worstMedian: medians[medians.length - 1],
    slowest,
    over: rows.filter((row) => row.p99 >= BAR_MS).length,
    kinds: rows.length,
  };
};
const summary = runs.map((run) => summarize(run, standard));
const hourlySummary = runs.map((run) => summarize(run, (row) => row.group === 'hourly window')).filter(Boolean);
console.log(
  table(
    ['run', 'kinds', 'median of medians', 'worst median', 'worst p99', 'slowest kind', `kinds with p99 ≥ ${BAR_MS} ms`],
    [...summary.map((row) => ['standard', row]), ...hourlySummary.map((row) => ['hourly windows', row])].map(([group, row]) => [
      `${row.label} ${group}`,
      row.kinds,
      ms(row.middle),
      ms(row.worstMedian),
      ms(row.slowest.p99),
      row.slowest.name,
      row.over,
    ]),
  ),
);
console.log(`\n### Rollup cost per recorded request (insertMany of live-like batches, without and with rollups, interleaved; medians)\n`);
console.log(
  table(
    ['records', 'database', 'batch', 'batches', 'µs/record without', 'µs/record with', 'of which rollupDeltas (JS)', 'ratio'],
    report.rollupCost.map((row) => [
      count(row.size),
      row.kind,
      row.batchSize,
      row.batches,
      row.without.toFixed(1),
      row.with.toFixed(1),
      row.js.toFixed(1),
      `${row.ratio.toFixed(2)}×`,
    ]),
  ),
);
const growth = [];
if (SIZES_RUN.length > 1) {
  const [small, large] = [Math.min(...SIZES_RUN), Math.max(...SIZES_RUN)];
  for (const kind of KINDS_RUN) {
    const at = (size) => summary.find((row) => row.size === size && row.kind === kind);
    if (!at(small) || !at(large)) continue;
    growth.push(`${kind}: median of medians ${ms(at(small).middle)} → ${ms(at(large).middle)} ms from ${short(small)} to ${short(large)}`);
  }
  console.log(`\nGrowth with records: ${growth.join('; ')}.`);
}
const largest = Math.max(...SIZES_RUN);
const atLargest = summary.filter((row) => row.size === largest);
const worst = Math.max(...atLargest.map((row) => row.slowest.p99));
console.log(
  `verdict: at ${short(largest)} records the slowest standard ranking query's p99 is ${ms(worst)} ms — ${worst < BAR_MS ? 'under' : 'OVER'} the ${BAR_MS} ms bar` +
    ` (${atLargest.map((row) => `${row.kind} ${ms(row.slowest.p99)} ms`).join(', ')}); explicit windows off UTC days: worst p99 ` +
    hourlySummary
      .filter((row) => row.size === largest)
      .map((row) => `${row.kind} ${ms(row.slowest.p99)} ms`)
      .join(', '),
);
process.exit(0);
