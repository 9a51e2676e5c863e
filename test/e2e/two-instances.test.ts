/**
 * Two gateways on one PostgreSQL and one Redis enforce one key's credits and rate limits jointly:
 * 200 concurrent requests split between them against credit for 50 admit exactly 50; an rpm limit
 * of 10 admits 10 across both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { freshDatabase, MASTER_KEY, routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const REDIS_URL = process.env.AGORA_TEST_REDIS ?? 'redis://127.0.0.1:6379';

describe('two gateways, one PostgreSQL, one Redis', () => {
  let upstream: FakeUpstream;
  let first: TestGateway;
  let second: TestGateway;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const database = await freshDatabase('postgres');
    drop = database.drop;
    const yaml = routingConfig(
      { acme: upstream.url },
      { 'acme/exact': [{ provider: 'acme', model: 'exact', prompt: 0, completion: 10 }], 'acme/ok': [{ provider: 'acme', model: 'ok' }] },
    );
    const prefix = `agora-test-${randomUUID()}:`;
    first = await startTestGateway({ yaml, databaseUrl: database.url, redisUrl: REDIS_URL, redisPrefix: prefix, keyRefreshMs: 200 });
    second = await startTestGateway({ yaml, databaseUrl: database.url, redisUrl: REDIS_URL, redisPrefix: prefix, keyRefreshMs: 200 });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await drop?.();
    await upstream?.close();
  });

  async function createKey(body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${first.url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}` },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { key: string }).key;
  }

  it('200 concurrent requests over both gateways against credit for 50: exactly 50 served', async () => {
    const key = await createKey({ name: 'shared-credit', credit: 0.05 }); // $0.001 per request, exactly
    const before = upstream.served.length;
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const gateway = index % 2 === 0 ? first : second;
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'acme/exact', max_tokens: 100, messages: [{ role: 'user', content: `n${index}` }] }),
        });
        await response.text();
        return { status: response.status, gateway: index % 2 };
      }),
    );
    expect(results.filter((result) => result.status === 200)).toHaveLength(50);
    expect(results.filter((result) => result.status === 402)).toHaveLength(150);
    expect(upstream.served.length - before).toBe(50);
    // both instances served some: the limit really was shared
    expect(new Set(results.filter((result) => result.status === 200).map((result) => result.gateway)).size).toBe(2);
    const credits = await fetch(`${second.url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await credits.json()) as { data: Record<string, number> }).data.total_usage).toBe(0.05);
  });

  it('an rpm limit of 10 admits 10 requests across both gateways', async () => {
    const key = await createKey({ name: 'shared-rpm', rpm: 10 });
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const gateway = index % 2 === 0 ? first : second;
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'acme/ok', messages: [{ role: 'user', content: `r${index}` }] }),
        });
        await response.text();
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
  });
});
