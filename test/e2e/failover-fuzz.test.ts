/**
 * No request is dropped while one healthy endpoint exists (fast-check, fixed seed). Each run starts a
 * gateway whose model has two to four endpoints at random prices, each failing in its own way before
 * the first byte — connection refused or reset, 500, 503, 429 with Retry-After, a malformed body, an
 * in-band error, an empty stream — except at least one that answers. Whatever the order the
 * gateway picks, a whole answer and a stream must each arrive complete and clean from a healthy
 * endpoint (no error event), after no more attempts than there are endpoints, and be charged once:
 * the key's ledger grows by exactly what the two records say.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/processes.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { prepaidKey, startTestGateway } from '../helpers/gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_fa11);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 20);
const ANSWER = 'Hello from the fake upstream.';

/** Ways to fail before the first byte (the fake upstream's modes; `refuse` is a closed port). */
const FAILURES = ['refuse', 'reset', 'status:500', 'status:503', 'status:429:30', 'malformed', 'inband-error', 'empty'];

const endpoints = fc
  .tuple(
    fc.array(fc.record({ mode: fc.constantFrom(...FAILURES, 'ok'), price: fc.integer({ min: 1, max: 20 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.record({ mode: fc.constant('ok'), price: fc.integer({ min: 1, max: 20 }) }),
    fc.nat(),
  )
  // at least one healthy endpoint, anywhere among the others
  .map(([others, healthy, at]) => {
    const list = [...others];
    list.splice(at % (others.length + 1), 0, healthy);
    return list;
  });

describe('failover never drops a request while a healthy endpoint exists', () => {
  let upstream: FakeUpstream;
  let refused: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    refused = `http://127.0.0.1:${await freePort()}/v1`;
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it(`answers whole and streamed from a healthy endpoint, charged once (seed ${SEED}, ${RUNS} runs)`, async () => {
    let failuresMet = 0;
    await fc.assert(
      fc.asyncProperty(endpoints, async (list) => {
        // One provider per endpoint (all on the one fake upstream, or the closed port), so each is its own endpoint.
        const providers = list.map(
          (endpoint, index) =>
            `  p${index}: { base_url: "${endpoint.mode === 'refuse' ? refused : upstream.url}", api_key_env: ACME_TEST_KEY }`,
        );
        const models = list.map(
          (endpoint, index) =>
            `      - { provider: p${index}, model: "${endpoint.mode}", pricing: { prompt: ${endpoint.price}, completion: ${endpoint.price} } }`,
        );
        const gateway = await startTestGateway({
          yaml: `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 1500, idle_ms: 1500 }
routing: { max_attempts: 10 }
providers:
${providers.join('\n')}
models:
  acme/mixed:
    endpoints:
${models.join('\n')}
`,
        });
        try {
          const key = await prepaidKey(gateway, 'failover', 100);
          const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
          const healthy = new Set(list.flatMap((endpoint, index) => (endpoint.mode === 'ok' ? [`p${index}`] : [])));
          const ids: string[] = [];
          for (const stream of [false, true]) {
            const response = await fetch(`${gateway.url}/v1/chat/completions`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ model: 'acme/mixed', stream, messages: [{ role: 'user', content: 'Hi' }] }),
            });
            const body = await response.text();
            expect(response.status, `${stream ? 'stream' : 'whole'}: ${body.slice(0, 300)}`).toBe(200);
            expect(healthy.has(response.headers.get('x-agora-provider')!)).toBe(true);
            const attempts = Number(response.headers.get('x-agora-attempts'));
            expect(attempts).toBeGreaterThanOrEqual(1);
            expect(attempts).toBeLessThanOrEqual(list.length);
            if (attempts > 1) failuresMet++;
            if (stream) {
              const content = [...body.matchAll(/^data: (\{.*\})$/gm)]
                .map(
                  (match) => (JSON.parse(match[1]!) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '',
                )
                .join('');
              expect(content).toBe(ANSWER);
              expect(body).not.toContain('"error"');
              expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
            } else
              expect((JSON.parse(body) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(ANSWER);
            ids.push(response.headers.get('x-agora-generation-id')!);
          }
          const costs = await Promise.all(
            ids.map(async (id) => {
              const record = await fetch(`${gateway.url}/api/v1/generation?id=${id}`, { headers });
              return Math.round(((await record.json()) as { data: { total_cost: number } }).data.total_cost * 1e9);
            }),
          );
          const credits = await fetch(`${gateway.url}/api/v1/credits`, { headers });
          const spent = Math.round(((await credits.json()) as { data: { total_usage: number } }).data.total_usage * 1e9);
          expect(spent).toBe(costs[0]! + costs[1]!);
          expect(costs.every((cost) => cost > 0)).toBe(true);
        } finally {
          await gateway.close();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Not vacuous: requests went through failing endpoints before the healthy one.
    expect(failuresMet).toBeGreaterThan(RUNS / 4);
  });
});
