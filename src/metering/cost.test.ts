/**
 * Guards what a generation is charged (metering/cost.ts): token kinds priced at their own rates
 * (cached and cache-write tokens inside prompt_tokens, reasoning tokens inside completion_tokens),
 * per-request fees, long-context tiers, unknown counters, one rounding of the exact sum, the
 * maximum a request may cost (what is reserved), and OpenRouter's `cost` / `cost_details` fields.
 * Prices are USD per 1M tokens; 1 USD/M = 10^6 pUSD per token; 1 nUSD = 1,000 pUSD.
 */
import { describe, expect, it } from 'vitest';
import { toPicoPricing, type ListPrices } from '../lib/money.js';
import { usageFromOpenAI, type Usage } from '../contract/usage.js';
import { ZERO_COST, computeCost, costFields, maximumCost } from './cost.js';

function usage(counts: Partial<Omit<Usage, 'raw'>>): Usage {
  return {
    promptTokens: counts.promptTokens,
    completionTokens: counts.completionTokens,
    totalTokens: counts.totalTokens,
    cachedTokens: counts.cachedTokens,
    cacheWriteTokens: counts.cacheWriteTokens,
    reasoningTokens: counts.reasoningTokens,
    raw: undefined,
  };
}

const prices = (list: ListPrices) => toPicoPricing(list);

describe('computeCost', () => {
  it('prices a plain request: prompt and completion at their rates', () => {
    // 1,000 × 0.5 USD/M = 0.0005 USD = 500,000 nUSD; 200 × 1.5 USD/M = 0.0003 USD = 300,000 nUSD.
    const cost = computeCost(usage({ promptTokens: 1_000, completionTokens: 200 }), prices({ prompt: 0.5, completion: 1.5 }));
    expect(cost).toEqual({
      totalNanos: 800_000,
      prompt: 500_000_000n, // 1,000 × 500,000 pUSD
      cacheRead: 0n,
      cacheWrite: 0n,
      completion: 300_000_000n, // 200 × 1,500,000 pUSD
      reasoning: 0n,
      request: 0n,
    });
  });

  it('prices cached and cache-write tokens as part of prompt_tokens, each at its own rate', () => {
    const pricing = prices({ prompt: 0.5, completion: 1.5, cacheRead: 0.05, cacheWrite: 0.625 });
    // prompt_tokens 1,000 = 600 cached + 100 written + 300 plain.
    // 300 × 500,000 = 150,000,000 pUSD; 600 × 50,000 = 30,000,000; 100 × 625,000 = 62,500,000.
    // Sum 242,500,000 pUSD = 242,500 nUSD (no completion).
    const cost = computeCost(usage({ promptTokens: 1_000, completionTokens: 0, cachedTokens: 600, cacheWriteTokens: 100 }), pricing);
    expect(cost.prompt).toBe(150_000_000n);
    expect(cost.cacheRead).toBe(30_000_000n);
    expect(cost.cacheWrite).toBe(62_500_000n);
    expect(cost.totalNanos).toBe(242_500);
  });

  it('never charges more cached or written tokens than prompt_tokens holds', () => {
    const pricing = prices({ prompt: 1, completion: 1, cacheRead: 0.1, cacheWrite: 2 });
    // 1,200 cached of 1,000 prompt tokens → 1,000 cached, 0 plain, 0 written:
    // 1,000 × 100,000 = 100,000,000 pUSD = 100,000 nUSD.
    const overCached = computeCost(usage({ promptTokens: 1_000, cachedTokens: 1_200, cacheWriteTokens: 50 }), pricing);
    expect(overCached).toMatchObject({ prompt: 0n, cacheRead: 100_000_000n, cacheWrite: 0n, totalNanos: 100_000 });
    // 800 cached + 500 written of 1,000 → 800 cached, 200 written, 0 plain:
    // 800 × 100,000 + 200 × 2,000,000 = 80,000,000 + 400,000,000 = 480,000,000 pUSD = 480,000 nUSD.
    const overWritten = computeCost(usage({ promptTokens: 1_000, cachedTokens: 800, cacheWriteTokens: 500 }), pricing);
    expect(overWritten).toMatchObject({ prompt: 0n, cacheRead: 80_000_000n, cacheWrite: 400_000_000n, totalNanos: 480_000 });
  });

  it('prices reasoning tokens as part of completion_tokens at their own rate', () => {
    const pricing = prices({ prompt: 0.5, completion: 1.5, reasoning: 3 });
    // completion_tokens 500 = 300 reasoning + 200 answer.
    // 200 × 1,500,000 = 300,000,000 pUSD; 300 × 3,000,000 = 900,000,000 pUSD → 1,200,000 nUSD.
    const cost = computeCost(usage({ promptTokens: 0, completionTokens: 500, reasoningTokens: 300 }), pricing);
    expect(cost.completion).toBe(300_000_000n);
    expect(cost.reasoning).toBe(900_000_000n);
    expect(cost.totalNanos).toBe(1_200_000);
  });

  it('prices reasoning tokens at the completion rate when no reasoning price is listed', () => {
    // 500 completion tokens, 300 of them reasoning, all at 1.5 USD/M: 500 × 1,500,000 = 750,000,000 pUSD.
    const cost = computeCost(usage({ completionTokens: 500, reasoningTokens: 300 }), prices({ prompt: 0.5, completion: 1.5 }));
    expect(cost.reasoning).toBe(450_000_000n); // 300 × 1,500,000
    expect(cost.completion).toBe(300_000_000n); // 200 × 1,500,000
    expect(cost.totalNanos).toBe(750_000);
  });

  it('caps reasoning tokens at completion_tokens', () => {
    // 900 reasoning of 500 completion tokens → 500 reasoning × 3,000,000 = 1,500,000,000 pUSD = 1,500,000 nUSD.
    const cost = computeCost(
      usage({ completionTokens: 500, reasoningTokens: 900 }),
      prices({ prompt: 0.5, completion: 1.5, reasoning: 3 }),
    );
    expect(cost).toMatchObject({ completion: 0n, reasoning: 1_500_000_000n, totalNanos: 1_500_000 });
  });

  it('adds a per-request fee', () => {
    // 0.0004 USD per request = 400,000,000 pUSD; plus 100 × 1 USD/M = 100,000,000 pUSD → 500,000 nUSD.
    const pricing = prices({ prompt: 1, completion: 2, request: 0.0004 });
    const cost = computeCost(usage({ promptTokens: 100, completionTokens: 0 }), pricing);
    expect(cost.request).toBe(400_000_000n);
    expect(cost.totalNanos).toBe(500_000);
    // A reported usage of zero tokens still pays the fee: 400,000 nUSD.
    expect(computeCost(usage({ promptTokens: 0, completionTokens: 0 }), pricing).totalNanos).toBe(400_000);
  });

  describe('long-context tiers', () => {
    // Gemini-style: 1.25 / 10 up to 200k prompt tokens, 2.5 / 15 above.
    const pricing = prices({
      prompt: 1.25,
      completion: 10,
      tiers: [{ abovePromptTokens: 200_000, prompt: 2.5, completion: 15, cacheRead: 0.625 }],
    });

    it('does not tier a prompt of exactly the threshold', () => {
      // 200,000 × 1,250,000 = 250,000,000,000 pUSD; 1,000 × 10,000,000 = 10,000,000,000 pUSD.
      // 260,000,000,000 pUSD = 260,000,000 nUSD (0.26 USD).
      const cost = computeCost(usage({ promptTokens: 200_000, completionTokens: 1_000 }), pricing);
      expect(cost.prompt).toBe(250_000_000_000n);
      expect(cost.completion).toBe(10_000_000_000n);
      expect(cost.totalNanos).toBe(260_000_000);
    });

    it('prices the whole request at the tier once the prompt passes the threshold', () => {
      // 200,001 × 2,500,000 = 500,002,500,000 pUSD; 1,000 × 15,000,000 = 15,000,000,000 pUSD.
      // 515,002,500,000 pUSD = 515,002,500 nUSD.
      const cost = computeCost(usage({ promptTokens: 200_001, completionTokens: 1_000 }), pricing);
      expect(cost.prompt).toBe(500_002_500_000n);
      expect(cost.completion).toBe(15_000_000_000n);
      expect(cost.totalNanos).toBe(515_002_500);
    });

    it('prices cached tokens and default-priced reasoning at the tier too', () => {
      // 300,000 prompt = 100,000 cached (tier 0.625 → 625,000 pUSD) + 200,000 plain (tier 2,500,000 pUSD).
      // 100,000 × 625,000 = 62,500,000,000; 200,000 × 2,500,000 = 500,000,000,000.
      // 2,000 completion = 1,500 reasoning + 500 answer, both at the tier's 15,000,000 pUSD:
      // 1,500 × 15,000,000 = 22,500,000,000; 500 × 15,000,000 = 7,500,000,000.
      // Total 592,500,000,000 pUSD = 592,500,000 nUSD.
      const cost = computeCost(
        usage({ promptTokens: 300_000, cachedTokens: 100_000, completionTokens: 2_000, reasoningTokens: 1_500 }),
        pricing,
      );
      expect(cost.cacheRead).toBe(62_500_000_000n);
      expect(cost.prompt).toBe(500_000_000_000n);
      expect(cost.reasoning).toBe(22_500_000_000n);
      expect(cost.completion).toBe(7_500_000_000n);
      expect(cost.totalNanos).toBe(592_500_000);
    });

    it('uses the highest tier the prompt passes', () => {
      const twoTiers = prices({
        prompt: 1,
        completion: 1,
        tiers: [
          { abovePromptTokens: 1_000, prompt: 2, completion: 2 },
          { abovePromptTokens: 10_000, prompt: 4, completion: 4 },
        ],
      });
      // 5,000 × 2,000,000 = 10,000,000,000 pUSD = 10,000,000 nUSD.
      expect(computeCost(usage({ promptTokens: 5_000, completionTokens: 0 }), twoTiers).totalNanos).toBe(10_000_000);
      // 20,000 × 4,000,000 = 80,000,000,000 pUSD = 80,000,000 nUSD.
      expect(computeCost(usage({ promptTokens: 20_000, completionTokens: 0 }), twoTiers).totalNanos).toBe(80_000_000);
    });
  });

  it('counts unknown (undefined) counters as nothing', () => {
    const pricing = prices({ prompt: 1, completion: 2, cacheRead: 0.1, reasoning: 5 });
    // Only completion_tokens known: 100 × 2,000,000 = 200,000,000 pUSD = 200,000 nUSD.
    const cost = computeCost(usage({ completionTokens: 100 }), pricing);
    expect(cost).toEqual({
      totalNanos: 200_000,
      prompt: 0n,
      cacheRead: 0n,
      cacheWrite: 0n,
      completion: 200_000_000n,
      reasoning: 0n,
      request: 0n,
    });
    // Nothing known: nothing charged.
    expect(computeCost(usage({}), pricing).totalNanos).toBe(0);
  });

  // Found by this suite: a fractional count from an upstream used to reach BigInt() and make billing
  // throw after the answer arrived. Usage figures are untrusted input (SECURITY.md); counts are rounded.
  it('prices an untrusted fractional token count without throwing', () => {
    const reported = usageFromOpenAI({ prompt_tokens: 12.5, completion_tokens: 3 });
    // At 0.0001 USD/M = 100 pUSD per token, 3 completion tokens are 300 pUSD and the prompt is 1,200, 1,250
    // or 1,300 pUSD (12, 12.5 or 13 tokens): 1,500 / 1,550 / 1,600 pUSD, i.e. 2 nUSD (half up) whichever
    // way the fraction is handled.
    const cost = computeCost(reported, prices({ prompt: 0.0001, completion: 0.0001 })); // actual: RangeError, 12.5 is not a BigInt
    expect(cost.totalNanos).toBe(2);
  });

  it('costs ZERO_COST when there is no usage at all', () => {
    const cost = computeCost(undefined, prices({ prompt: 1, completion: 2, request: 0.01 }));
    expect(cost).toEqual(ZERO_COST);
    expect(cost.totalNanos).toBe(0);
  });

  it('rounds the exact sum once, half up, not each part', () => {
    // Every part below 500 pUSD would round to 0 nUSD on its own.
    const pricing = prices({ prompt: 0.0003, completion: 0.0003, cacheRead: 0.0002, cacheWrite: 0.0004, reasoning: 0.0004 });
    // prompt 3 = 1 plain (300 pUSD) + 1 cached (200) + 1 written (400); completion 2 = 1 answer (300) + 1 reasoning (400).
    // Sum 1,600 pUSD = 1.6 nUSD → 2 nUSD. Rounding each part first would give 0.
    const cost = computeCost(
      usage({ promptTokens: 3, cachedTokens: 1, cacheWriteTokens: 1, completionTokens: 2, reasoningTokens: 1 }),
      pricing,
    );
    expect([cost.prompt, cost.cacheRead, cost.cacheWrite, cost.completion, cost.reasoning]).toEqual([300n, 200n, 400n, 300n, 400n]);
    expect(cost.totalNanos).toBe(2);
  });

  it('rounds exactly at the half nanodollar', () => {
    // 0.0015 USD/M = 1,500 pUSD per token. 1 token → 1.5 nUSD → 2. 0.001499 → 1,499 pUSD → 1 nUSD.
    expect(computeCost(usage({ promptTokens: 1 }), prices({ prompt: 0.0015, completion: 0 })).totalNanos).toBe(2);
    expect(computeCost(usage({ promptTokens: 1 }), prices({ prompt: 0.001499, completion: 0 })).totalNanos).toBe(1);
    // 0.000001 USD/M = 1 pUSD per token: 999 tokens → 0.999 nUSD → 1; 499 tokens → 0.499 → 0.
    expect(computeCost(usage({ promptTokens: 999 }), prices({ prompt: 0.000001, completion: 0 })).totalNanos).toBe(1);
    expect(computeCost(usage({ promptTokens: 499 }), prices({ prompt: 0.000001, completion: 0 })).totalNanos).toBe(0);
  });

  it('stays exact where float arithmetic would not', () => {
    // 0.1 + 0.2 style: 3 tokens at 0.1 USD/M = 300,000 pUSD = 300 nUSD exactly (3 × 0.1e-6 in floats is 3.0000000000000004e-7).
    expect(computeCost(usage({ promptTokens: 3 }), prices({ prompt: 0.1, completion: 0 })).totalNanos).toBe(300);
    // 1,000,000,000 tokens at 0.0375 → 37,500 × 10^9 pUSD = 37,500,000,000 nUSD = 37.5 USD.
    expect(computeCost(usage({ promptTokens: 1_000_000_000 }), prices({ prompt: 0.0375, completion: 0 })).totalNanos).toBe(37_500_000_000);
  });
});

describe('maximumCost', () => {
  it('prices the prompt at the higher of prompt and cache-write rates, output at the higher of completion and reasoning', () => {
    const pricing = prices({ prompt: 0.5, completion: 1.5, cacheWrite: 0.625, reasoning: 3 });
    // 1,000 × 625,000 = 625,000,000 pUSD; 500 × 3,000,000 = 1,500,000,000 pUSD → 2,125,000,000 pUSD = 2,125,000 nUSD.
    expect(maximumCost(1_000, 500, pricing)).toBe(2_125_000);
  });

  it('uses the prompt and completion rates when those are the higher', () => {
    const pricing = prices({ prompt: 3, completion: 15, cacheRead: 0.3, cacheWrite: 1, reasoning: 10 });
    // 1,000 × 3,000,000 = 3,000,000,000; 500 × 15,000,000 = 7,500,000,000 → 10,500,000,000 pUSD = 10,500,000 nUSD.
    expect(maximumCost(1_000, 500, pricing)).toBe(10_500_000);
  });

  it('adds the request fee and applies the tier the prompt estimate falls in', () => {
    const pricing = prices({
      prompt: 1.25,
      completion: 10,
      request: 0.001,
      tiers: [{ abovePromptTokens: 200_000, prompt: 2.5, completion: 15 }],
    });
    // Below: 100,000 × 1,250,000 = 125,000,000,000; 1,000 × 10,000,000 = 10,000,000,000; fee 1,000,000,000
    // → 136,000,000,000 pUSD = 136,000,000 nUSD.
    expect(maximumCost(100_000, 1_000, pricing)).toBe(136_000_000);
    // Above: 300,000 × 2,500,000 = 750,000,000,000; 1,000 × 15,000,000 = 15,000,000,000; fee 1,000,000,000
    // → 766,000,000,000 pUSD = 766,000,000 nUSD.
    expect(maximumCost(300_000, 1_000, pricing)).toBe(766_000_000);
  });

  it('is never below what a usage within its bounds is charged', () => {
    const pricing = prices({ prompt: 0.5, completion: 1.5, cacheRead: 0.05, cacheWrite: 0.625, reasoning: 3, request: 0.0001 });
    const max = maximumCost(1_000, 500, pricing);
    for (const split of [
      { promptTokens: 1_000, completionTokens: 500 },
      { promptTokens: 1_000, cacheWriteTokens: 1_000, completionTokens: 500, reasoningTokens: 500 },
      { promptTokens: 1_000, cachedTokens: 400, cacheWriteTokens: 600, completionTokens: 500, reasoningTokens: 250 },
      { promptTokens: 10, completionTokens: 1 },
    ]) {
      expect(computeCost(usage(split), pricing).totalNanos).toBeLessThanOrEqual(max);
    }
    // The worst case is reached exactly: all prompt tokens written, all output reasoning.
    // 1,000 × 625,000 + 500 × 3,000,000 + 100,000,000 = 2,225,000,000 pUSD = 2,225,000 nUSD.
    expect(max).toBe(2_225_000);
    expect(
      computeCost(usage({ promptTokens: 1_000, cacheWriteTokens: 1_000, completionTokens: 500, reasoningTokens: 500 }), pricing).totalNanos,
    ).toBe(2_225_000);
  });
});

describe('costFields', () => {
  it("gives OpenRouter's cost and cost_details in USD", () => {
    const pricing = prices({ prompt: 0.5, completion: 1.5, cacheRead: 0.05, cacheWrite: 0.625, reasoning: 3, request: 0.0004 });
    // prompt 1,000 = 300 plain (150,000,000 pUSD) + 600 cached (30,000,000) + 100 written (62,500,000);
    // completion 500 = 200 answer (300,000,000) + 300 reasoning (900,000,000); fee 400,000,000.
    // Total 1,842,500,000 pUSD = 1,842,500 nUSD = 0.0018425 USD.
    const cost = computeCost(
      usage({ promptTokens: 1_000, cachedTokens: 600, cacheWriteTokens: 100, completionTokens: 500, reasoningTokens: 300 }),
      pricing,
    );
    expect(cost.totalNanos).toBe(1_842_500);
    expect(costFields(cost)).toEqual({
      cost: 0.0018425,
      cost_details: {
        upstream_inference_cost: 0.0018425,
        // 150,000,000 + 30,000,000 + 62,500,000 + 400,000,000 = 642,500,000 pUSD
        upstream_inference_prompt_cost: 0.0006425,
        // 300,000,000 + 900,000,000 = 1,200,000,000 pUSD
        upstream_inference_completions_cost: 0.0012,
        cache_read_cost: 0.00003, // 30,000,000 pUSD
        cache_write_cost: 0.0000625, // 62,500,000 pUSD
        reasoning_cost: 0.0009, // 900,000,000 pUSD
        request_cost: 0.0004,
      },
    });
  });

  it('reports the charged (rounded) total as `cost`', () => {
    // 1 token at 0.0016 USD/M = 1,600 pUSD → charged 2 nUSD = 0.000000002 USD; the exact part stays 1.6e-9.
    const cost = computeCost(usage({ promptTokens: 1, completionTokens: 0 }), prices({ prompt: 0.0016, completion: 0 }));
    const fields = costFields(cost);
    expect(fields.cost).toBe(2e-9);
    expect(fields.cost_details.upstream_inference_prompt_cost).toBe(1.6e-9);
  });

  it('reports zero for ZERO_COST', () => {
    const fields = costFields(ZERO_COST);
    expect(fields.cost).toBe(0);
    expect(Object.values(fields.cost_details).every((value) => value === 0)).toBe(true);
  });
});
