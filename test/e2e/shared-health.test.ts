/**
 * Two gateways on one Redis (`--redis`) agree on which endpoint is down: failures seen by one
 * open the circuit in both, and the other stops sending traffic there without a call of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const REDIS_URL = process.env.AGORA_TEST_REDIS ?? 'redis://127.0.0.1:6379';

describe('endpoint health shared through Redis', () => {
  let bad: FakeUpstream;
  let good: FakeUpstream;
  let first: TestGateway;
  let second: TestGateway;
  const prefix = `agora-test-${randomUUID()}:`;

  beforeAll(async () => {
    bad = await startFakeUpstream({ name: 'bad' });
    good = await startFakeUpstream({ name: 'good' });
    const yaml = routingConfig(
      { bad: bad.url, good: good.url },
      {
        'shared/solo': [{ provider: 'bad', model: 'ok' }],
        'shared/split': [{ provider: 'bad', model: 'ok' }],
      },
      'routing: { ejection_base_ms: 60000 }',
    );
    first = await startTestGateway({ yaml, redisUrl: REDIS_URL, redisPrefix: prefix });
    second = await startTestGateway({ yaml, redisUrl: REDIS_URL, redisPrefix: prefix });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await bad?.close();
    await good?.close();
  });

  async function circuitOf(gateway: TestGateway, model: string, provider: string): Promise<string> {
    const response = await fetch(`${gateway.url}/api/v1/models/${model}/endpoints`);
    const body = (await response.json()) as { data: { endpoints: Array<{ tag: string; circuit: string }> } };
    return body.data.endpoints.find((endpoint) => endpoint.tag === provider)!.circuit;
  }

  it('a circuit opened by one gateway is open in the other, which then never calls the endpoint', async () => {
    bad.override = 'status:500';
    const client = first.client(await first.createKey());
    for (let index = 0; index < 5; index++) {
      const error = await client.chat.completions
        .create({ model: 'shared/solo', messages: [{ role: 'user', content: 'x' }] })
        .catch((caught: unknown) => caught);
      expect((error as APIError).status).toBe(502);
    }
    expect(await circuitOf(first, 'shared/solo', 'bad')).toBe('open');
    const deadline = Date.now() + 10_000; // a bound on how long Redis may take, never a pause
    while ((await circuitOf(second, 'shared/solo', 'bad')) !== 'open' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await circuitOf(second, 'shared/solo', 'bad')).toBe('open');

    const callsBefore = bad.requests.length;
    const other = second.client(await second.createKey());
    const refused = (await other.chat.completions
      .create({ model: 'shared/solo', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as APIError;
    expect(refused.status).toBe(503);
    expect(bad.requests.length).toBe(callsBefore);
  });

  it('failures spread over both gateways add up: neither saw five, together they open the circuit in both', async () => {
    bad.override = 'status:500';
    const one = first.client(await first.createKey());
    const two = second.client(await second.createKey());
    const ask = (client: OpenAI): Promise<unknown> =>
      client.chat.completions
        .create({ model: 'shared/split', messages: [{ role: 'user', content: 'x' }] })
        .catch((error: unknown) => error);
    // 3 failures on one gateway, 2 on the other, alternating
    for (const [index, client] of [one, two, one, two, one].entries()) {
      expect(((await ask(client)) as APIError).status).toBe(502);
      if (index < 4) expect(await circuitOf(first, 'shared/split', 'bad')).toBe('closed');
      await new Promise((resolve) => setTimeout(resolve, 150)); // let the batch cross Redis
    }
    const deadline = Date.now() + 10_000; // a bound on how long Redis may take, never a pause
    while ((await circuitOf(second, 'shared/split', 'bad')) !== 'open' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await circuitOf(first, 'shared/split', 'bad')).toBe('open');
    expect(await circuitOf(second, 'shared/split', 'bad')).toBe('open');
  });
});
