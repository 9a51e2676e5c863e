/**
 * Failure rules: credits fail closed (ledger store down → 503 at once, nothing forwarded without a
 * reservation), rate limits fail open (Redis down or frozen → each instance limits on its own,
 * requests keep flowing), and both recover without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, POSTGRES_URL, routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import pg from 'pg';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function post(gateway: TestGateway, key: string, content: string): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'acme/ok', max_tokens: 20, messages: [{ role: 'user', content }] }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function createKey(gateway: TestGateway, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${gateway.url}/api/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify(body),
  });
  return ((await response.json()) as { key: string }).key;
}

describe('the ledger store goes down', () => {
  let upstream: FakeUpstream;
  let proxy: TcpProxy;
  let gateway: TestGateway;
  const schema = `t_outage_${process.pid}`;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startTcpProxy(5432);
    const url = new URL(POSTGRES_URL);
    url.port = String(proxy.port);
    url.searchParams.set('schema', schema);
    gateway = await startTestGateway({
      yaml: routingConfig({ acme: upstream.url }, { 'acme/ok': [{ provider: 'acme', model: 'ok' }] }),
      databaseUrl: url.toString(),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await gateway?.close().catch(() => undefined);
    await upstream?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  it('refuses metered requests with 503 within a second, forwards nothing, and recovers', async () => {
    const key = await createKey(gateway, { name: 'outage', credit: 1 });
    expect((await post(gateway, key, 'before')).status).toBe(200);
    proxy.down();
    await sleep(1_000);
    const calls = upstream.requests.length;
    const refused = await post(gateway, key, 'during');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('ledger_unavailable');
    expect(upstream.requests.length).toBe(calls); // nothing forwarded without a way to charge it
    proxy.up();
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await post(gateway, key, 'after')).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });
});

describe('Redis goes down or freezes under load', () => {
  let upstream: FakeUpstream;
  let proxy: TcpProxy;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startTcpProxy(6379);
    gateway = await startTestGateway({
      yaml: routingConfig({ acme: upstream.url }, { 'acme/ok': [{ provider: 'acme', model: 'ok' }] }),
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      redisPrefix: `agora-test-${randomUUID()}:`,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await proxy?.close();
    await upstream?.close();
  });

  it('rate limits fail open to the instance limiter, so requests keep flowing, and Redis is used again once back', async () => {
    const key = await createKey(gateway, { name: 'limited', rpm: 1_000 });
    const limiter = gateway.running.gateway.limiter as unknown as { fallbacks: number };
    const load = async (label: string): Promise<number[]> =>
      Promise.all(Array.from({ length: 20 }, (_, index) => post(gateway, key, `${label} ${index}`).then((result) => result.status)));
    expect(await load('normal')).toEqual(Array(20).fill(200));
    const fallbacksBefore = limiter.fallbacks;

    proxy.freeze();
    expect(await load('frozen')).toEqual(Array(20).fill(200));
    proxy.down();
    expect(await load('down')).toEqual(Array(20).fill(200));
    expect(limiter.fallbacks).toBeGreaterThan(fallbacksBefore);

    proxy.up();
    await sleep(2_500); // reconnect back-off
    const fallbacksAfterRecovery = limiter.fallbacks;
    expect(await load('recovered')).toEqual(Array(20).fill(200));
    expect(limiter.fallbacks).toBe(fallbacksAfterRecovery);
  });
});
