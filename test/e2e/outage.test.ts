/**
 * Failure rules: credits fail closed (ledger store down → 503 at once, nothing forwarded without a
 * reservation), rate limits fail open (Redis down or frozen → each instance limits on its own,
 * requests keep flowing), and both recover without a restart.
 *
 * Nothing sleeps: each wait is a poll whose next attempt starts when the previous answer is in,
 * bounded in attempts and in time (the bound is only ever reached when something is wrong).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { pollUntil } from '../helpers/events.js';
import { MASTER_KEY, POSTGRES_URL, routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import pg from 'pg';

/**
 * The gateway's own deadline for noticing a dead ledger store (src/metering/store-probe.ts, not
 * configurable): a probe every 250 ms, and a probe left unanswered for 500 ms counts as down, so a
 * store that stops answering is noticed within 250 + 500 + 250 = 1,000 ms; one that refuses
 * connections, as here, at the first probe after the cut.
 */
const STORE_PROBE_DEADLINE_MS = 1_000;
/** Polls stop after this long (a failure then, never a pause). */
const POLL_BOUNDS = { maxAttempts: 100_000, withinMs: 15_000 };

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

  it('refuses metered requests with 503 within the store probe deadline, forwards nothing, and recovers', async () => {
    const key = await createKey(gateway, { name: 'outage', credit: 1 });
    // A key whose credit covers no request: 402 while the ledger is up, 503 once the gateway knows
    // it is down (that check comes first). Neither is forwarded nor written, so it can be polled.
    const probeKey = await createKey(gateway, { name: 'outage-probe', credit: 0.000001 });
    expect((await post(gateway, key, 'before')).status).toBe(200);
    expect((await post(gateway, probeKey, 'probe')).status).toBe(402);
    const calls = upstream.requests.length;

    proxy.down();
    const noticed = await pollUntil(
      () => post(gateway, probeKey, 'probe'),
      (answer) => answer.status !== 402,
      POLL_BOUNDS,
    );
    expect(noticed.last?.status).toBe(503);
    expect(noticed.last?.body.error.code).toBe('ledger_unavailable');
    // from the cut to the first 503: about the probe's deadline, with room for a busy machine
    expect(noticed.elapsedMs).toBeLessThan(2 * STORE_PROBE_DEADLINE_MS);
    const refused = await post(gateway, key, 'during');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('ledger_unavailable');
    expect(upstream.requests.length).toBe(calls); // nothing forwarded since the cut: no way to charge it

    proxy.up();
    const recovered = await pollUntil(
      () => post(gateway, key, 'after'),
      (answer) => answer.status !== 503,
      POLL_BOUNDS,
    );
    expect(recovered.last?.status).toBe(200);
    expect(upstream.requests.length).toBe(calls + 1); // every 503 before it was refused without forwarding
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
    const pollKey = await createKey(gateway, { name: 'redis-poll', rpm: 1_000_000 }); // a limit far out of reach
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

    // Redis is used again once the client has reconnected (ioredis backs off up to 2 s) and the
    // limiter's pause after an error (1 s) is over: poll with a cheap request that is rate limited
    // and then refused before anything else happens (400, no body), until one is not answered by
    // the fallback.
    proxy.up();
    const back = await pollUntil(
      async () => {
        const before = limiter.fallbacks;
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${pollKey}`, 'content-type': 'application/json' },
          body: '{}',
        });
        await response.arrayBuffer();
        return { status: response.status, usedRedis: limiter.fallbacks === before };
      },
      (answer) => answer.usedRedis,
      POLL_BOUNDS,
    );
    expect(back.met).toBe(true);
    expect(back.last?.status).toBe(400);
    const fallbacksAfterRecovery = limiter.fallbacks;
    expect(await load('recovered')).toEqual(Array(20).fill(200));
    expect(limiter.fallbacks).toBe(fallbacksAfterRecovery);
  });
});
