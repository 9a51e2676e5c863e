/**
 * An Idempotency-Key makes retries free and identical, however they interleave (fast-check, fixed
 * seed). Each run sends random waves of concurrent requests, each with one of a few keys and one of
 * two bodies (whole or streamed), and checks per key:
 *  - the upstream was called once, for the body that went through first;
 *  - every 200 under the key is that body's answer, byte for byte (a later one a replay);
 *  - a request with the other body is refused 422, or 409 while the first is still running; a
 *    request with the same body while it runs is 409; nothing else;
 *  - the ledger charged each key once: it grew by the keys answered × one answer's price.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, prepaidKey, spentNanos, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_1d3e);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 20);

interface Send {
  key: number;
  body: number;
}

/** Waves of concurrent requests: each request names one of three keys and one of two bodies. */
const waves = fc.array(fc.array(fc.record({ key: fc.nat({ max: 2 }), body: fc.nat({ max: 1 }) }), { minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 3,
});

describe('idempotent requests under any interleaving', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let key: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, ['ok', 'slow:20']) });
    key = await prepaidKey(gateway, 'idempotency', 100);
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const spent = () => spentNanos(gateway, key);

  let run = 0;
  it(`calls the upstream once per key and charges it once (seed ${SEED}, ${RUNS} runs)`, async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(waves, fc.boolean(), async (planned, stream) => {
        run++;
        // Two bodies per run, unique to it, so the upstream's requests tell which went through.
        const bodies = [0, 1].map((index) =>
          JSON.stringify({ model: 'acme/slow-20', stream, messages: [{ role: 'user', content: `run ${run} body ${index}` }] }),
        );
        const idempotencyKey = (index: number) => `run-${SEED}-${run}-key-${index}`;
        const before = await spent();
        const results: Array<Send & { status: number; text: string }> = [];
        for (const wave of planned) {
          results.push(
            ...(await Promise.all(
              wave.map(async (send) => {
                const response = await fetch(`${gateway.url}/v1/chat/completions`, {
                  method: 'POST',
                  headers: {
                    authorization: `Bearer ${key}`,
                    'content-type': 'application/json',
                    'idempotency-key': idempotencyKey(send.key),
                  },
                  body: bodies[send.body],
                });
                return { ...send, status: response.status, text: await response.text() };
              }),
            )),
          );
        }
        let answered = 0;
        for (const index of [0, 1, 2]) {
          const under = results.filter((result) => result.key === index);
          if (under.length === 0) continue;
          const ok = under.filter((result) => result.status === 200);
          // Every 200 under a key is the same body's answer, byte for byte.
          expect(new Set(ok.map((result) => result.body)).size, `key ${index}: 200s for one body`).toBeLessThanOrEqual(1);
          expect(new Set(ok.map((result) => result.text)).size, `key ${index}: one answer`).toBeLessThanOrEqual(1);
          for (const result of under) {
            if (result.status === 200) continue;
            expect([409, 422], `key ${index}: ${result.status} ${result.text.slice(0, 200)}`).toContain(result.status);
            // 422 only for the body the key was not first used with
            if (result.status === 422) expect(ok.length === 0 || result.body !== ok[0]!.body).toBe(true);
            refused++;
          }
          if (ok.length > 0) answered++;
        }
        // The upstream was called once per key answered, and the ledger charged each once.
        const called = upstream.requests.filter((request) => JSON.stringify(request.body).includes(`"run ${run} body `)).length;
        expect(called).toBe(answered);
        const price = results.find((result) => result.status === 200);
        if (price) {
          const cost = stream
            ? Number(/"cost":([0-9.e-]+)/.exec(price.text)![1])
            : (JSON.parse(price.text) as { usage: { cost: number } }).usage.cost;
          expect((await spent()) - before).toBe(answered * Math.round(cost * 1e9));
        } else expect((await spent()) - before).toBe(0);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Not vacuous: some requests were refused as duplicates or with another body.
    expect(refused).toBeGreaterThan(RUNS / 4);
  });
});
