/**
 * Nothing lost, nothing charged twice, whatever the clients and upstreams do (fast-check, fixed
 * seed). Each run sends a random batch of concurrent requests — whole answers and streams from an
 * upstream that answers at once, drips its chunks, or dies after a few — and the client of a stream
 * may leave after any number of reads (the dying upstream's circuit opens now and then: those
 * requests are refused before any work, with no generation). Once every request has its record:
 *  - the key's ledger (`total_usage`) grew by exactly the sum of the records' charges (`total_cost`):
 *    every charge has its record and every record its charge, none twice;
 *  - a stream read to its end was charged what its usage chunk reported (`usage.cost`), a whole
 *    answer what its `usage.cost` said;
 *  - a stream the client left is charged for what was delivered, no more than the longest whole
 *    answer, and in full when the gateway had sent it all before it saw the client go (a success);
 *    a stream the upstream cut with the client still there costs nothing (an error).
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, prepaidKey, spentNanos, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_acc7);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 15);

/** Upstream behaviours (the fake's modes): at once, 12 chunks 2 ms apart, cut after 3 chunks. */
const MODES = ['ok', 'drip:2:12', 'die-after:3'];
const modelOf = (mode: string) => `acme/${mode.replace(/[^a-z0-9-]/g, '-')}`;

interface Call {
  mode: string;
  stream: boolean;
  /** Streams: the client leaves after this many reads (null: reads to the end). */
  leaveAfter: number | null;
}

const call: fc.Arbitrary<Call> = fc
  .record({
    mode: fc.constantFrom(...MODES),
    stream: fc.boolean(),
    leaveAfter: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 2 }),
  })
  .map((drawn) => ({ ...drawn, leaveAfter: drawn.stream ? drawn.leaveAfter : null }));

interface Outcome {
  /** The generation, or null when the request was refused before one began. */
  id: string | null;
  call: Call;
  /** Whether the client read the answer to its end. */
  complete: boolean;
  /** The cost the answer reported (its usage chunk or body), in nanodollars. */
  reported: number | undefined;
}

const nanos = (usd: unknown): number => Math.round(Number(usd) * 1e9);

describe('accounting under clients that leave and upstreams that die', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let key: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, MODES) });
    key = await prepaidKey(gateway, 'accounting', 1000);
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const headers = () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

  const spent = () => spentNanos(gateway, key);

  /** A generation's record, once written (a client that left is recorded when the gateway has seen it go). */
  async function record(id: string): Promise<{ total_cost: number; cancelled: boolean; finish_reason: string | null }> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const response = await fetch(`${gateway.url}/api/v1/generation?id=${id}`, { headers: headers() });
      if (response.status === 200) return ((await response.json()) as { data: never }).data;
      expect(response.status).toBe(404);
      if (Date.now() > deadline) throw new Error(`no record of ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function send(request: Call): Promise<Outcome> {
    const leave = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: headers(),
      signal: leave.signal,
      body: JSON.stringify({
        model: modelOf(request.mode),
        stream: request.stream,
        ...(request.stream ? { stream_options: { include_usage: true } } : {}),
        messages: [{ role: 'user', content: 'Count to twelve.' }],
      }),
    });
    const id = response.headers.get('x-agora-generation-id');
    if (!id) {
      // The upstream that dies has failed often enough for its circuit to open: refused before any work.
      const body = (await response.json()) as { error: { code: string } };
      expect([response.status, body.error.code], request.mode).toEqual([503, 'all_endpoints_unavailable']);
      return { id: null, call: request, complete: false, reported: undefined };
    }
    if (!request.stream) {
      const body = (await response.json()) as { usage?: { cost?: number } };
      return { id, call: request, complete: response.status === 200, reported: body.usage ? nanos(body.usage.cost) : undefined };
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (let reads = 0; ; reads++) {
      if (request.leaveAfter !== null && reads >= request.leaveAfter) {
        leave.abort();
        await reader.cancel().catch(() => undefined);
        return { id, call: request, complete: false, reported: undefined };
      }
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const usage = [...text.matchAll(/^data: (\{.*"usage":\{.*)$/gm)]
      .map((match) => JSON.parse(match[1]!) as { usage: { cost?: number } })
      .at(-1);
    const complete = text.endsWith('data: [DONE]\n\n') && !text.includes('"error"');
    return { id, call: request, complete, reported: usage?.usage.cost === undefined ? undefined : nanos(usage.usage.cost) };
  }

  it(`keeps the ledger and the records equal (seed ${SEED}, ${RUNS} runs)`, async () => {
    // What one complete answer of each upstream behaviour costs, for the bound on what a partial one may.
    const full = new Map<string, number>();
    for (const mode of MODES) {
      const outcome = await send({ mode, stream: true, leaveAfter: null });
      full.set(mode, (await record(outcome.id!)).total_cost);
    }
    const longest = Math.max(...[...full.values()].map(nanos));
    let left = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), async (calls) => {
        const before = await spent();
        const outcomes = (await Promise.all(calls.map(send))).filter((outcome) => outcome.id !== null);
        const records = await Promise.all(outcomes.map((outcome) => record(outcome.id!)));
        const charged = records.reduce((sum, row) => sum + nanos(row.total_cost), 0);
        expect((await spent()) - before, 'ledger against records').toBe(charged);
        outcomes.forEach((outcome, index) => {
          const row = records[index]!;
          if (outcome.complete) expect(nanos(row.total_cost), `${outcome.call.mode} reported cost`).toBe(outcome.reported);
          else {
            left++;
            const charged = nanos(row.total_cost);
            // The gateway may have sent it all before it saw the client go: a success, charged in full.
            if (!row.cancelled && row.finish_reason !== 'error')
              expect(charged, `${outcome.call.mode} delivered whole`).toBe(nanos(full.get(outcome.call.mode)));
            // The upstream failed with the client still there: an error costs nothing (OpenRouter's zero-completion insurance).
            else if (!row.cancelled) expect(charged, `${outcome.call.mode} failed`).toBe(0);
            // The client left first: charged for what was delivered, never more than a whole answer.
            else expect(charged, `${outcome.call.mode} left`).toBeLessThanOrEqual(longest);
          }
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Not vacuous: clients left and upstreams died.
    expect(left).toBeGreaterThan(RUNS / 2);
  });
});
