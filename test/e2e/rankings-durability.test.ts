/**
 * Rankings count every recorded request exactly once, whatever happens to the gateways writing them.
 *
 * kill -9 during recording (SQLite and PostgreSQL): a gateway process under load — plain and
 * streamed answers, slow streams open at every kill, failures, two accounts, apps — is SIGKILLed
 * four times at seeded points and restarted on the same database (the last kill is left dead). On
 * PostgreSQL each kill waits, within a bound, for a batch of records being written (an INSERT into
 * the generations or rollups table active in pg_stat_activity), so the kill lands inside a
 * recording transaction. Records still in memory are lost with the process, as designed; what is
 * asserted is that the rollups equal the records table exactly: requests, errors and every token
 * and cost sum, and every rollup row against the rollups recomputed from the records.
 *
 * Two instances, one PostgreSQL: two gateways take concurrent traffic on the same accounts, models
 * and apps, so both write the same rollup rows at once; once every request is recorded, the records,
 * the rollups and the rankings each gateway answers equal what was sent, request for request.
 *
 * Nothing waits on the clock: kills come after a number of answers, restarts when the gateway says
 * it listens, checks when the records are in (polled, each attempt started by the previous answer).
 * Needs a built dist/ (`npm run build`) for the spawned gateway.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { Counter, Gate, pollUntil } from '../helpers/events.js';
import {
  freshDatabase,
  MASTER_KEY,
  POSTGRES_URL,
  startTestGateway,
  UPSTREAM_KEY,
  type TestDatabase,
  type TestGateway,
} from '../helpers/gateway.js';
import { cli, freePort, killHard, spawnGateway } from '../helpers/processes.js';
import { randomInt, seededRandom } from '../helpers/random.js';
import { rollupDeltas } from '../../src/rankings/rollup.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RollupDelta } from '../../src/store/repos/rollups.js';

const COUNTRY: Record<string, string> = { acme: 'US', zen: 'CN' };
/**
 * Tokens an answer carries, per model (the fake's scripted usage): usage:100:50 → 150; drip: 12
 * prompt + 25 chunks; zen/fail is refused upstream with a 422, an error that is the request's own, so
 * the endpoint is not ejected and every such request is answered, and recorded, as an error.
 */
const TOKENS: Record<string, number> = { 'acme/chat': 150, 'acme/stream': 37, 'zen/fail': 0 };

function config(upstream: string): string {
  const endpoint = (provider: string, model: string) =>
    `    endpoints:\n      - { provider: ${provider}, model: "${model}", pricing: { prompt: 1, completion: 2 } }`;
  return `bundled_catalog: false
routing: { max_attempts: 1 }
timeouts: { connect_ms: 2000, first_byte_ms: 10000, idle_ms: 10000 }
authors:
  acme: { name: Acme, country: US }
  zen: { name: Zen, country: CN }
providers:
  p1: { base_url: ${upstream}, api_key_env: ACME_TEST_KEY }
  p2: { base_url: ${upstream}, api_key_env: ACME_TEST_KEY }
  p3: { base_url: ${upstream}, api_key_env: ACME_TEST_KEY }
models:
  acme/chat:
${endpoint('p1', 'usage:100:50:10:5')}
  acme/stream:
${endpoint('p2', 'drip:4:25')}
  zen/fail:
${endpoint('p3', 'status:422')}
`;
}

/** The n-th request of a run: model, streamed or not, app headers; a mix of everything rankings count. */
function requestFor(index: number): { model: string; stream: boolean; headers: Record<string, string> } {
  const kind = index % 10;
  if (kind === 9) return { model: 'zen/fail', stream: false, headers: {} };
  if (kind % 3 === 0) return { model: 'acme/stream', stream: true, headers: { 'x-title': 'Streamer' } };
  if (kind % 3 === 1) return { model: 'acme/chat', stream: false, headers: { 'http-referer': 'https://app.example/page' } };
  return { model: 'acme/chat', stream: kind % 2 === 0, headers: {} };
}

const rollupKey = (row: RollupDelta): string => `${row.grain}|${row.dim}|${row.account}|${row.bucket}|${row.name}`;
const COUNTERS = ['requests', 'errors', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'cached_tokens', 'cost'] as const;

/**
 * The rollups against the records table: the totals (count, errors, token and cost sums, by SQL over
 * the table) equal every dimension's sums, hour and day; and every rollup row equals the one
 * recomputed from the records. Returns the record count.
 */
async function expectRollupsEqualRecords(store: Store): Promise<number> {
  const sums = await store.db
    .selectFrom('generations')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('requests'),
      eb.fn.sum<number | string>(eb.case().when('status', '!=', 'success').then(1).else(0).end()).as('errors'),
      eb.fn.sum<number | string>('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum<number | string>('completion_tokens').as('completion_tokens'),
      eb.fn.sum<number | string>('reasoning_tokens').as('reasoning_tokens'),
      eb.fn.sum<number | string>('cached_tokens').as('cached_tokens'),
      eb.fn.sum<number | string>('cost').as('cost'),
    ])
    .executeTakeFirstOrThrow();
  const records = Object.fromEntries(COUNTERS.map((counter) => [counter, Number(sums[counter] ?? 0)])) as Record<
    (typeof COUNTERS)[number],
    number
  >;
  const rollups = await store.rollups.all();
  for (const grain of ['h', 'd'] as const) {
    for (const dim of ['model', 'author', 'country', 'provider', 'app', 'key', 'account']) {
      const rows = rollups.filter((row) => row.grain === grain && row.dim === dim && row.account === '*');
      for (const counter of COUNTERS) {
        expect(
          rows.reduce((sum, row) => sum + row[counter], 0),
          `${counter} by ${dim} per ${grain === 'h' ? 'hour' : 'day'}`,
        ).toBe(records[counter]);
      }
    }
  }
  const all = await store.generations.list({ keyId: undefined, from: 0, to: Date.now() + 86_400_000, limit: 1_000_000 });
  expect(all).toHaveLength(records.requests);
  const expected = new Map(rollupDeltas(all, (author) => COUNTRY[author]).map((row) => [rollupKey(row), row]));
  const stored = new Map(rollups.map((row) => [rollupKey(row), row]));
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, row] of stored) {
    for (const counter of COUNTERS) expect(row[counter], `${key} ${counter}`).toBe(expected.get(key)![counter]);
  }
  return records.requests;
}

/** Kills per run, each after 15–45 answers (seeded) since the previous restart. */
const KILLS = 4;
const KILL_AFTER = { min: 15, max: 45 };
const WORKERS = 10;
const SEED = 0x12a9;

describe.each<TestDatabase>(['sqlite', 'postgres'])('kill -9 while requests are recorded (%s)', (kind) => {
  let upstream: FakeUpstream | undefined;
  let child: ChildProcess | undefined;
  let drop: (() => Promise<void>) | undefined;
  const folder = mkdtempSync(join(tmpdir(), 'agora-rankings-kill-'));

  afterAll(async () => {
    child?.kill('SIGKILL');
    await upstream?.close();
    await drop?.();
    rmSync(folder, { recursive: true, force: true });
  });

  it('loses no rollup count against the records and doubles none', async () => {
    upstream = await startFakeUpstream({ name: 'rankings-kill' });
    const database = await freshDatabase(kind);
    drop = database.drop;
    const file = join(folder, 'agora.yaml');
    writeFileSync(file, config(upstream.url));
    const keys: string[] = [];
    for (const name of ['kill-a', 'kill-b']) {
      const created = await cli(['keys', 'create', '--name', name, '--db', database.url]);
      expect(created.code, created.stderr).toBe(0);
      keys.push(created.stdout.trim().split('\n').pop()!);
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const start = async (): Promise<void> => {
      await spawnGateway(
        ['--config', file, '--db', database.url, '--port', String(port), '--log-level', 'error'],
        { ...process.env, AGORA_MASTER_KEY: MASTER_KEY, ACME_TEST_KEY: UPSTREAM_KEY },
        (spawned) => (child = spawned),
      );
    };
    const kill = (): Promise<void> => killHard(child!);

    // PostgreSQL shows a batch being written: an INSERT into the records or the rollups, active now.
    const watcher = kind === 'postgres' ? new pg.Client({ connectionString: POSTGRES_URL }) : undefined;
    await watcher?.connect();
    const writing = async (): Promise<boolean> => {
      const result = await watcher!.query<{ count: string }>(
        `select count(*) as count from pg_stat_activity
          where pid <> pg_backend_pid() and state in ('active', 'idle in transaction')
            and (query ilike 'insert into "generations"%' or query ilike 'insert into "usage_rollups"%')`,
      );
      return Number(result.rows[0]!.count) > 0;
    };

    const up = new Gate();
    await start();
    const answers = new Counter(); // complete answers
    const opened = new Counter(); // slow streams that sent their first bytes
    let openStreams = 0;
    let stopping = false;
    let kills = 0;
    let caughtWriting = 0;
    let sent = 0;
    let failed = 0;

    const chaos = (async () => {
      const random = seededRandom(SEED + (kind === 'postgres' ? 1 : 0));
      while (kills < KILLS) {
        await answers.reach(answers.value + randomInt(random, KILL_AFTER.min, KILL_AFTER.max));
        // mid-stream: a slow stream is open (workers start one every few requests)
        while (openStreams === 0) await opened.next();
        if (watcher) {
          const seen = await pollUntil(writing, (busy) => busy, { maxAttempts: 2_000, withinMs: 5_000 });
          if (seen.met) caughtWriting++;
        }
        kills++;
        if (kills === KILLS) stopping = true;
        up.close();
        await kill();
        if (kills < KILLS) {
          await start();
          up.open();
        }
      }
      up.open(); // let waiting workers see `stopping`
    })();

    const request = async (index: number, key: string): Promise<void> => {
      const { model, stream, headers } = requestFor(index);
      sent++;
      try {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `r${index}` }] }),
        });
        if (!stream || response.status !== 200 || model !== 'acme/stream') {
          await response.text();
          if (response.status === 200 || model === 'zen/fail') answers.add();
          return;
        }
        const reader = response.body!.getReader();
        let first = true;
        let text = '';
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            text += Buffer.from(value).toString();
            if (first) {
              first = false;
              openStreams++;
              opened.add();
            }
          }
        } finally {
          if (!first) openStreams--;
        }
        if (text.endsWith('data: [DONE]\n\n')) answers.add();
        else failed++;
      } catch {
        failed++;
      }
    };
    let next = 0;
    const worker = async (number: number): Promise<void> => {
      while (!stopping) {
        const index = next++;
        await request(index, keys[(index + number) % keys.length]!);
        if (!up.isOpen) await up.wait();
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, number) => worker(number)));
    await chaos;
    await watcher?.end();
    expect(kills).toBe(KILLS);

    const store = await openStore(database.url);
    try {
      const recorded = await expectRollupsEqualRecords(store);
      expect(recorded).toBeGreaterThan(0);
      expect(recorded).toBeLessThanOrEqual(sent);
      console.log(
        `rankings kill -9 (${kind}): ${kills} kills${watcher ? ` (${caughtWriting} while a batch was being written)` : ''}, ` +
          `${sent} requests sent, ${answers.value} answered, ${failed} cut or refused, ${recorded} recorded; rollups equal the records`,
      );
    } finally {
      await store.close();
    }
  }, 240_000);
});

describe('two gateways writing to one PostgreSQL', () => {
  let upstream: FakeUpstream | undefined;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;
  let drop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await drop?.();
    await upstream?.close();
  });

  it('counts every request exactly once', async () => {
    upstream = await startFakeUpstream({ name: 'rankings-two' });
    const database = await freshDatabase('postgres');
    drop = database.drop;
    const setup = await openStore(database.url);
    const keys: string[] = [];
    try {
      for (const name of ['two-a', 'two-b', 'two-c']) keys.push((await setup.keys.create({ name })).key);
    } finally {
      await setup.close();
    }
    const yaml = config(upstream.url);
    first = await startTestGateway({ yaml, databaseUrl: database.url });
    second = await startTestGateway({ yaml, databaseUrl: database.url });
    const gateways = [first, second];

    const TOTAL = 300;
    const expected = { requests: 0, errors: 0, tokens: 0, byModel: new Map<string, number>() };
    const statuses = await Promise.all(
      Array.from({ length: TOTAL }, async (_, index) => {
        const { model, stream, headers } = requestFor(index);
        expected.requests++;
        if (model === 'zen/fail') expected.errors++;
        expected.tokens += TOKENS[model]!;
        expected.byModel.set(model, (expected.byModel.get(model) ?? 0) + TOKENS[model]!);
        const response = await fetch(`${gateways[index % 2]!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keys[index % 3]}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `t${index}` }] }),
        });
        const text = await response.text();
        if (stream && response.status === 200) expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(TOTAL - expected.errors);

    // Each gateway writes its records (and their rollups) in batches after the answers: wait until all are in.
    const store = first.running.store;
    const counted = await pollUntil(
      () => store.generations.count(),
      (count) => count >= TOTAL,
      { maxAttempts: 1_000_000, withinMs: 30_000 },
    );
    expect(counted.last).toBe(TOTAL);
    expect(await expectRollupsEqualRecords(store)).toBe(TOTAL);

    const now = Date.now();
    const window = `from=${Math.floor((now - 86_400_000) / 1000)}&to=${Math.floor((now + 3_600_000) / 1000)}`;
    for (const gateway of gateways) {
      const get = async (query: string) => {
        const response = await fetch(`${gateway.url}/api/v1/rankings?${query}&${window}`, {
          headers: { authorization: `Bearer ${MASTER_KEY}` },
        });
        expect(response.status).toBe(200);
        return (await response.json()) as {
          total: { requests: number; errors: number; tokens: number };
          data: Array<{ name: string; tokens: number; requests: number }>;
        };
      };
      const byModel = await get('by=model');
      expect(byModel.total).toMatchObject({ requests: TOTAL, errors: expected.errors, tokens: expected.tokens });
      expect(new Map(byModel.data.filter((row) => row.tokens > 0).map((row) => [row.name, row.tokens]))).toEqual(
        new Map([...expected.byModel].filter(([, tokens]) => tokens > 0)),
      );
      const byAccount = await get('by=account&metric=requests');
      expect(byAccount.data.map((row) => row.requests).sort((left, right) => left - right)).toEqual([100, 100, 100]);
      const byApp = await get('by=app&metric=requests');
      expect(byApp.data.reduce((sum, row) => sum + row.requests, 0)).toBe(TOTAL);
    }
  }, 120_000);
});
