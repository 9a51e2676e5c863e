/**
 * Failover before the first byte, for every way an upstream can fail, and the circuit breaker:
 * the client sees one clean answer; the headers and the generation record explain what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { freePort } from '../helpers/processes.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const FAILURES = ['refuse', 'reset', 'status:500', 'status:429:30', 'hang', 'malformed', 'inband-error', 'empty'];

describe('failover before the first byte', () => {
  let bad: FakeUpstream;
  let good: FakeUpstream;
  let gateway: TestGateway;
  let client: OpenAI;
  let apiKey: string;

  beforeAll(async () => {
    bad = await startFakeUpstream({ name: 'bad' });
    good = await startFakeUpstream({ name: 'good' });
    const refusePort = await freePort();
    const models: Parameters<typeof routingConfig>[1] = {};
    for (const failure of FAILURES) {
      const slug = failure.replace(/[^a-z0-9]/g, '-');
      models[`test/${slug}`] = [
        { provider: failure === 'refuse' ? 'dead' : 'bad', model: failure, prompt: 0.1, completion: 0.1 },
        { provider: 'good', model: 'ok', prompt: 5, completion: 5 },
      ];
    }
    models['test/alone'] = [{ provider: 'bad', model: 'ok' }];
    models['test/breaker'] = [
      { provider: 'bad', model: 'ok', prompt: 0.1, completion: 0.1 },
      { provider: 'good', model: 'ok', prompt: 5, completion: 5 },
    ];
    gateway = await startTestGateway({
      yaml: routingConfig(
        { bad: bad.url, good: good.url, dead: `http://127.0.0.1:${refusePort}/v1` },
        models,
        'routing: { ejection_base_ms: 400 }',
      ),
    });
    apiKey = await gateway.createKey();
    client = gateway.client(apiKey);
  });
  afterAll(async () => {
    await gateway?.close();
    await bad?.close();
    await good?.close();
  });

  const ordered = { provider: { order: ['bad', 'dead', 'good'] } } as object;

  async function record(id: string): Promise<Record<string, any>> {
    const response = await fetch(`${gateway.url}/api/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return ((await response.json()) as { data: Record<string, any> }).data;
  }

  for (const failure of FAILURES) {
    it(`goes to the next endpoint when the first one fails with ${failure}`, async () => {
      for (const stream of [false, true]) {
        const model = `test/${failure.replace(/[^a-z0-9]/g, '-')}`;
        const { data, response } = stream
          ? await (async () => {
              const result = await client.chat.completions
                .create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true, ...ordered })
                .withResponse();
              let text = '';
              let id = '';
              for await (const chunk of result.data) {
                text += chunk.choices[0]?.delta.content ?? '';
                id = chunk.id;
              }
              return { data: { id, text }, response: result.response };
            })()
          : await client.chat.completions
              .create({ model, messages: [{ role: 'user', content: 'hi' }], ...ordered })
              .withResponse()
              .then(({ data: body, response: raw }) => ({
                data: { id: body.id, text: body.choices[0]?.message.content ?? '' },
                response: raw,
              }));
        expect(data.text).toBe('Hello from the fake upstream.');
        expect(response.headers.get('x-agora-provider')).toBe('good');
        const saved = await record(data.id);
        expect(saved.provider_name).toBe('good');
        const tried = saved.attempts.filter((attempt: { status: number }) => attempt.status !== 0);
        if (failure === 'status:429:30' && stream) {
          // the 429's Retry-After keeps the endpoint cooling down: the second request skips it
          expect(saved.attempts[0]).toMatchObject({ provider: 'bad', reason: 'skipped:rate_limited' });
          expect(tried).toHaveLength(1);
        } else {
          expect(tried).toHaveLength(2);
          expect(tried[0].provider).toBe(failure === 'refuse' ? 'dead' : 'bad');
          expect(tried[0].reason).not.toBe('ok');
          expect(response.headers.get('x-agora-attempts')).toBe('2');
        }
      }
    });
  }

  it('moves traffic off an endpoint that starts failing, without the client noticing', async () => {
    bad.override = 'status:500';
    const before = bad.requests.length;
    for (let index = 0; index < 8; index++) {
      const answer = await client.chat.completions.create({
        model: 'test/breaker',
        messages: [{ role: 'user', content: 'x' }],
        ...ordered,
      });
      expect(answer.choices[0]?.message.content).toBe('Hello from the fake upstream.');
    }
    expect(bad.requests.length - before).toBe(2); // after 2 failures it is behind the healthy endpoint
    bad.override = undefined;
  });

  it('opens the circuit after 5 consecutive failures, fails fast while open, and closes it after a good probe', async () => {
    bad.override = 'status:500';
    const before = bad.requests.length;
    for (let index = 0; index < 5; index++) {
      const error = await client.chat.completions
        .create({ model: 'test/alone', messages: [{ role: 'user', content: 'x' }] })
        .catch((caught: unknown) => caught);
      expect((error as APIError).status).toBe(502);
    }
    const fast = (await client.chat.completions
      .create({ model: 'test/alone', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as APIError;
    expect(fast.status).toBe(503);
    expect(fast.code).toBe('all_endpoints_unavailable');
    expect(Number(fast.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(bad.requests.length - before).toBe(5); // the open circuit failed fast, without a call
    const view = async (): Promise<Record<string, any>> =>
      (
        (await (await fetch(`${gateway.url}/api/v1/models/test/alone/endpoints`)).json()) as {
          data: { endpoints: Array<Record<string, any>> };
        }
      ).data.endpoints[0]!;
    expect((await view()).circuit).toBe('open');
    expect((await view()).error_rate).toBe(1);

    bad.override = undefined; // the provider recovers
    await new Promise((resolve) => setTimeout(resolve, 450)); // the 400 ms ejection passes
    const probe = await client.chat.completions.create({ model: 'test/alone', messages: [{ role: 'user', content: 'x' }] });
    expect(probe.choices[0]?.message.content).toBe('Hello from the fake upstream.');
    expect((await view()).circuit).toBe('closed');
  });
});
