/**
 * Every answer is charged what its tokens cost, once, whatever the upstream's wire format, the
 * surface and whether it streamed (fast-check, fixed seed). For random token counts (uncached
 * prompt, cache reads, cache writes, output, reasoning) a scripted upstream (OpenAI-compatible,
 * Anthropic or Gemini: test/fakes/scripted-upstreams.ts) reports them in its vendor's terms —
 * Anthropic's input apart from its cache reads and writes and the counts again in message_delta,
 * Gemini's thoughts apart from candidates and its counts so far on every streamed event — and each
 * of six requests (Chat Completions, Anthropic Messages and Responses, whole and streamed) must:
 *  - raise the key's `total_usage` (the ledger) by exactly the price of those tokens, computed here
 *    in integers from the endpoint's list prices and rounded once to nanodollars;
 *  - report that price as `usage.cost` where the surface reports a cost (Chat Completions and
 *    Responses, whole and in the stream's usage), and the tokens as the surface counts them.
 * What a vendor cannot report is priced as it reports it: Anthropic has no separate reasoning count
 * (its reasoning is output), Gemini no cache writes.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Script, ScriptedKind, Tokens } from '../fakes/scripted-upstreams.js';
import { spentNanos } from '../helpers/gateway.js';
import { startScriptedGateway, type ScriptedGateway } from '../helpers/scripted-gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_b111);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 25);

/** List prices, USD per 1M tokens (and per request): each kind of token at its own price. */
const PRICES = { prompt: 3, completion: 15, cache_read: 0.3, cache_write: 3.75, reasoning: 20, request: 0.0002 };

/** Picodollars per token for a price in USD per 1M tokens (exact: the prices above have at most 6 decimals). */
const picos = (usdPerMillion: number): bigint => BigInt(Math.round(usdPerMillion * 1e6));

/** The tokens as the upstream of `kind` can report them. */
function reported(kind: ScriptedKind, tokens: Tokens): Tokens {
  if (kind === 'anthropic') return { ...tokens, reasoning: 0 };
  if (kind === 'gemini') return { ...tokens, cacheWrite: 0 };
  return tokens;
}

/** What `tokens` cost, in nanodollars: exact in picodollars, rounded once, half up. */
function priceNanos(tokens: Tokens): number {
  const total =
    BigInt(tokens.uncached) * picos(PRICES.prompt) +
    BigInt(tokens.cacheRead) * picos(PRICES.cache_read) +
    BigInt(tokens.cacheWrite) * picos(PRICES.cache_write) +
    BigInt(tokens.completion - tokens.reasoning) * picos(PRICES.completion) +
    BigInt(tokens.reasoning) * picos(PRICES.reasoning) +
    BigInt(Math.round(PRICES.request * 1e12));
  return Number((total + 500n) / 1000n);
}

const count = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2_000_000 }));
const tokens: fc.Arbitrary<Tokens> = fc
  .record({ uncached: count, cacheRead: count, cacheWrite: count, completion: count, share: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ share, ...rest }) => ({ ...rest, completion: rest.completion, reasoning: Math.floor(rest.completion * share) }));

const KINDS: ScriptedKind[] = ['openai-compatible', 'anthropic', 'gemini'];

describe.each(KINDS)('every answer is charged its price once (%s upstream)', (kind) => {
  let served: ScriptedGateway;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    served = await startScriptedGateway(kind, { pricing: PRICES, credit: 100_000 });
    ({ openai, anthropic } = served);
  });
  afterAll(() => served?.close());

  /** The key's spend so far (its ledger), in nanodollars. */
  const spent = () => spentNanos(served.gateway, served.key);

  it(`on every surface, whole and streamed (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(tokens, async (usage) => {
        const script: Script = { reasoning: [], content: ['Priced.'], tools: [], finish: 'stop', usage };
        const prompt = JSON.stringify(script);
        const counted = reported(kind, usage);
        const nanos = priceNanos(counted);
        const cost = (value: unknown) => Math.round(Number(value) * 1e9);
        const before = await spent();

        const chat = { model: 'acme/scripted', messages: [{ role: 'user' as const, content: prompt }] };
        const whole = await openai.chat.completions.create(chat);
        expect(cost((whole.usage as unknown as { cost: number }).cost), 'Chat Completions usage.cost').toBe(nanos);
        expect(whole.usage!.prompt_tokens).toBe(counted.uncached + counted.cacheRead + counted.cacheWrite);
        expect(whole.usage!.completion_tokens).toBe(counted.completion);
        let streamed: number | undefined;
        for await (const chunk of await openai.chat.completions.create({ ...chat, stream: true })) {
          if (chunk.usage) streamed = cost((chunk.usage as unknown as { cost: number }).cost);
        }
        expect(streamed, 'Chat Completions stream usage.cost').toBe(nanos);

        const messages = { model: 'acme/scripted', max_tokens: 100, messages: [{ role: 'user' as const, content: prompt }] };
        const message = await anthropic.messages.create(messages);
        expect(message.usage).toMatchObject({
          input_tokens: counted.uncached,
          cache_read_input_tokens: counted.cacheRead,
          cache_creation_input_tokens: counted.cacheWrite,
          output_tokens: counted.completion,
        });
        const final = await anthropic.messages.stream(messages).finalMessage();
        expect(final.usage).toMatchObject({ input_tokens: counted.uncached, output_tokens: counted.completion });

        const response = await openai.responses.create({ model: 'acme/scripted', input: prompt });
        expect(cost((response.usage as unknown as { cost: number }).cost), 'Responses usage.cost').toBe(nanos);
        let completed: OpenAI.Responses.Response | undefined;
        for await (const event of await openai.responses.create({ model: 'acme/scripted', input: prompt, stream: true })) {
          if (event.type === 'response.completed') completed = event.response;
        }
        expect(cost((completed!.usage as unknown as { cost: number }).cost), 'Responses stream usage.cost').toBe(nanos);

        // Six answers delivered, six charges in the ledger, each the price.
        expect((await spent()) - before, 'ledger').toBe(6 * nanos);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
