/**
 * `records.retention_days`: generation records older than the retention are pruned at start (and
 * hourly), the rankings' rollups of them are kept, and newer records stay.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rollupDeltas } from '../../src/rankings/rollup.js';
import type { NewGeneration } from '../../src/store/repos/generations.js';
import { openStore } from '../../src/store/index.js';
import { freshDatabase, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/events.js';

function record(id: string, createdAt: number): NewGeneration {
  return {
    id,
    key_id: 'key_old',
    account_id: 'acct_old',
    api: 'chat',
    model: 'acme/ok',
    provider: 'acme',
    streamed: 0,
    status: 'success',
    http_status: 200,
    prompt_tokens: 10,
    completion_tokens: 5,
    latency_ms: 1,
    usage_estimated: 0,
    cost: 100,
    created_at: createdAt,
  };
}

describe('records.retention_days', () => {
  let gateway: TestGateway | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await gateway?.close();
    await drop?.();
  });

  it('prunes records past the retention at start, keeps their rollups and the newer records', async () => {
    const database = await freshDatabase('sqlite');
    drop = database.drop;
    const day = 86_400_000;
    const old = [record('gen-old-1', Date.now() - 10 * day), record('gen-old-2', Date.now() - 8 * day)];
    const recent = [record('gen-recent', Date.now() - day)];
    const seed = await openStore(database.url);
    await seed.generations.insertMany([...old, ...recent], (inserted) => rollupDeltas(inserted, () => 'US'));
    await seed.close();

    gateway = await startTestGateway({
      databaseUrl: database.url,
      yaml: `bundled_catalog: false
records: { retention_days: 7 }
providers:
  acme: { base_url: http://127.0.0.1:9/v1, api_key_env: ACME_TEST_KEY }
models:
  acme/ok:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 1 } }
`,
    });
    const store = gateway.running.store;
    const pruned = await pollUntil(
      () => store.generations.count(),
      (count) => count === 1,
      { maxAttempts: 1_000_000, withinMs: 20_000 },
    );
    expect(pruned.met).toBe(true);
    expect(await store.generations.findById('gen-recent')).toBeDefined();
    expect(await store.generations.findById('gen-old-1')).toBeUndefined();
    const rollups = (await store.rollups.all()).filter((row) => row.grain === 'd' && row.dim === 'model' && row.account === '*');
    expect(rollups.reduce((sum, row) => sum + row.requests, 0)).toBe(3);
    expect(gateway.logs.some((line) => line.includes('pruned generation records') && line.includes('"removed":2'))).toBe(true);
  });
});
