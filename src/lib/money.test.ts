/**
 * Guards the money units (lib/money.ts): list prices become whole picodollars per token, charges
 * round once (half up, symmetric for negatives) to nanodollars, and every amount an operator or a
 * client reads back (formatUsd, nanosToUsd, picosToUsd) is the exact decimal, never a float sum.
 * Every expected value below is worked out by hand in the comment beside it.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_BALANCE_NANOS,
  MAX_POSTING_USD,
  NANOS_PER_USD,
  decimalToUnits,
  formatUsd,
  nanosToUsd,
  picosPerToken,
  picosToNanos,
  picosToUsd,
  toPicoPricing,
  usdToNanos,
  usdToPicos,
} from './money.js';

describe('decimalToUnits / picosPerToken', () => {
  it('turns every list price with up to six decimals into a whole number of picodollars per token', () => {
    // X USD per 1M tokens = X × 10^12 pUSD / 10^6 tokens = X × 10^6 pUSD per token.
    expect(picosPerToken(0.0375)).toBe(37_500n); // 0.0375 × 10^6
    expect(picosPerToken(0.5)).toBe(500_000n);
    expect(picosPerToken(1.25)).toBe(1_250_000n);
    expect(picosPerToken(0.000001)).toBe(1n); // the smallest six-decimal price: 1 pUSD per token
    expect(picosPerToken(15)).toBe(15_000_000n);
    expect(picosPerToken(0)).toBe(0n);
    // 0.1 and 0.2 are not exact doubles; the shortest printed form is what counts: 0.3 → 300,000.
    expect(picosPerToken(0.3)).toBe(300_000n);
    expect(picosPerToken(2.123456)).toBe(2_123_456n);
  });

  it('agrees with a plain integer multiplication for a sweep of six-decimal prices', () => {
    // k / 10^6 USD per 1M tokens is exactly k pUSD per token, whatever float noise k / 1e6 carries.
    for (let k = 0; k <= 5_000_000; k += 37_501) {
      const price = Number((k / 1_000_000).toFixed(6));
      expect(picosPerToken(price)).toBe(BigInt(k));
    }
  });

  it('reads decimal strings, trims spaces, keeps the sign, and refuses what is not a decimal', () => {
    expect(decimalToUnits('1.5', 9)).toBe(1_500_000_000n);
    expect(decimalToUnits(' 2.25 ', 2)).toBe(225n);
    expect(decimalToUnits('.5', 1)).toBe(5n); // no whole part
    expect(decimalToUnits('7.', 3)).toBe(7_000n); // no fraction digits
    expect(decimalToUnits('-0.25', 2)).toBe(-25n);
    expect(decimalToUnits('12', 0)).toBe(12n);
    expect(() => decimalToUnits('abc', 6)).toThrow(/not a decimal number/);
    expect(() => decimalToUnits('', 6)).toThrow(/not a decimal number/);
    expect(() => decimalToUnits('.', 6)).toThrow(/not a decimal number/);
    expect(() => decimalToUnits('1.2.3', 6)).toThrow(/not a decimal number/);
    expect(() => decimalToUnits(Number.NaN, 6)).toThrow(/not a finite number/);
    expect(() => decimalToUnits(Number.POSITIVE_INFINITY, 6)).toThrow(/not a finite number/);
  });

  it('parses numbers that JavaScript prints in exponent form exactly', () => {
    // String(1e-7) is "1e-7": 0.0000001 USD = 100 nUSD = 100,000 pUSD.
    expect(String(1e-7)).toBe('1e-7');
    expect(usdToNanos(1e-7)).toBe(100);
    expect(usdToPicos(1e-7)).toBe(100_000n);
    // 1.2345e-7 USD = 0.00000012345 USD = 123,450 pUSD.
    expect(usdToPicos(1.2345e-7)).toBe(123_450n);
    // -2.5e-7 USD = -250 nUSD.
    expect(usdToNanos(-2.5e-7)).toBe(-250);
    // String(1.5e21) is "1.5e+21": 1,500,000,000,000,000,000,000 whole units.
    expect(String(1.5e21)).toBe('1.5e+21');
    expect(decimalToUnits(1.5e21, 0)).toBe(1_500_000_000_000_000_000_000n);
    // … and × 10^2 at scale 2.
    expect(decimalToUnits(1.5e21, 2)).toBe(150_000_000_000_000_000_000_000n);
    // 1e21 (no fraction in the mantissa) → a 1 and 21 zeros.
    expect(decimalToUnits(1e21, 0)).toBe(10n ** 21n);
  });
});

describe('usdToNanos', () => {
  it('converts exact amounts', () => {
    expect(usdToNanos(1)).toBe(1_000_000_000);
    expect(usdToNanos('0.000439600')).toBe(439_600);
    expect(usdToNanos(MAX_POSTING_USD)).toBe(1_000_000_000_000_000); // 10^6 USD × 10^9
    // 0.1 + 0.2 prints as 0.30000000000000004; its 10th decimal is 0, so it is 0.3 USD exactly.
    expect(usdToNanos(0.1 + 0.2)).toBe(300_000_000);
  });

  it('rounds half up on the tenth decimal, and only on it', () => {
    expect(usdToNanos('0.0000000005')).toBe(1); // 0.5 nUSD → 1
    expect(usdToNanos('0.0000000004999999')).toBe(0); // 0.4999999 nUSD → 0
    expect(usdToNanos('0.0000000015')).toBe(2); // 1.5 → 2 (half up, not half even)
    expect(usdToNanos('0.0000000025')).toBe(3); // 2.5 → 3 (half even would give 2)
    expect(usdToNanos(1.5e-9)).toBe(2); // the same as a number printed "1.5e-9"
    expect(usdToNanos('1.0000000019')).toBe(1_000_000_002); // 1,000,000,001.9 → 1,000,000,002
  });

  it('rounds negatives symmetrically (half away from zero)', () => {
    expect(usdToNanos('-0.0000000005')).toBe(-1);
    expect(usdToNanos('-0.0000000004') === 0).toBe(true); // -0.4 nUSD → 0 (a bigint has no -0)
    expect(usdToNanos('-0.0000000015')).toBe(-2);
  });
});

describe('picosToNanos (the one rounding rule for charges)', () => {
  it('rounds half up to whole nanodollars', () => {
    // 1 nUSD = 1,000 pUSD.
    expect(picosToNanos(0n)).toBe(0);
    expect(picosToNanos(499n)).toBe(0); // 0.499 → 0
    expect(picosToNanos(500n)).toBe(1); // 0.5 → 1
    expect(picosToNanos(1_499n)).toBe(1);
    expect(picosToNanos(1_500n)).toBe(2);
    expect(picosToNanos(2_500n)).toBe(3); // half up, not half even
    expect(picosToNanos(439_600_000n)).toBe(439_600); // exact
  });

  it('is symmetric for negatives', () => {
    expect(picosToNanos(-499n) === 0).toBe(true); // -0.499 → 0
    expect(picosToNanos(-500n)).toBe(-1);
    expect(picosToNanos(-1_500n)).toBe(-2);
    expect(picosToNanos(-2_500n)).toBe(-3);
    for (const picos of [1n, 499n, 500n, 501n, 999n, 1_000n, 123_456_789n]) {
      expect(picosToNanos(-picos) === -picosToNanos(picos), `picos ${picos}`).toBe(true);
    }
  });

  it('stays exact for the largest balance', () => {
    // 9e15 nUSD × 1,000 = 9e18 pUSD, beyond 2^53 as a bigint, back to exactly 9e15.
    expect(picosToNanos(9_000_000_000_000_000_000n)).toBe(9_000_000_000_000_000);
    expect(picosToNanos(9_000_000_000_000_000_499n)).toBe(9_000_000_000_000_000);
    expect(picosToNanos(9_000_000_000_000_000_500n)).toBe(9_000_000_000_000_001);
  });
});

describe('formatUsd', () => {
  it('prints the exact decimal, trailing zeros trimmed', () => {
    expect(formatUsd(439_600)).toBe('0.0004396'); // 439,600 nUSD = 0.000439600 USD
    expect(formatUsd(1)).toBe('0.000000001');
    expect(formatUsd(10)).toBe('0.00000001');
    expect(formatUsd(1_000_000_000)).toBe('1');
    expect(formatUsd(1_500_000_000)).toBe('1.5');
    expect(formatUsd(12_345_678_901)).toBe('12.345678901');
    expect(formatUsd(0)).toBe('0');
  });

  it('prints negatives with a leading minus', () => {
    expect(formatUsd(-1)).toBe('-0.000000001');
    expect(formatUsd(-1_500_000_000)).toBe('-1.5');
    expect(formatUsd(-439_600)).toBe('-0.0004396');
  });

  it('prints the largest amounts exactly', () => {
    expect(formatUsd(MAX_BALANCE_NANOS)).toBe('9000000');
    expect(formatUsd(-MAX_BALANCE_NANOS)).toBe('-9000000');
    expect(formatUsd(Number.MAX_SAFE_INTEGER)).toBe('9007199.254740991'); // 9,007,199,254,740,991 nUSD
  });

  it('round-trips with usdToNanos', () => {
    for (const nanos of [0, 1, 7, 999_999_999, 1_000_000_001, 123_456_789_012_345, -42, -MAX_BALANCE_NANOS]) {
      expect(usdToNanos(formatUsd(nanos))).toBe(nanos);
    }
  });
});

describe('nanosToUsd', () => {
  it('gives the double closest to the exact decimal', () => {
    expect(nanosToUsd(439_600)).toBe(0.0004396);
    expect(nanosToUsd(1)).toBe(1e-9);
    expect(nanosToUsd(-1)).toBe(-1e-9);
    expect(nanosToUsd(123_456_789_012_345)).toBe(123456.789012345);
    expect(nanosToUsd(MAX_BALANCE_NANOS)).toBe(9_000_000);
    // 300,000,000 nUSD is 0.3, not the 0.30000000000000004 a float sum would give.
    expect(nanosToUsd(100_000_000 + 200_000_000)).toBe(0.3);
  });
});

describe('picosToUsd', () => {
  /** The exact decimal of `picos` × 10^-12, built digit by digit (independent of the code under test). */
  function exactDecimal(picos: bigint): string {
    const negative = picos < 0n;
    const magnitude = negative ? -picos : picos;
    const scale = 10n ** 12n;
    return `${negative ? '-' : ''}${magnitude / scale}.${(magnitude % scale).toString().padStart(12, '0')}`;
  }

  it('converts small amounts (the fast path)', () => {
    expect(picosToUsd(1n)).toBe(1e-12);
    expect(picosToUsd(37_500n)).toBe(3.75e-8); // one token at 0.0375 USD per 1M
    expect(picosToUsd(439_600_000n)).toBe(0.0004396);
    expect(picosToUsd(-1_500_000_000_000n)).toBe(-1.5);
    expect(picosToUsd(0n)).toBe(0);
  });

  it('converts amounts above 2^53 exactly (the slow path)', () => {
    // 2^53 + 1 = 9,007,199,254,740,993 pUSD = 9007.199254740993 USD (the literal is parsed exactly by JS).
    expect(picosToUsd(9_007_199_254_740_993n)).toBe(9007.199254740993);
    expect(picosToUsd(-9_007_199_254_740_993n)).toBe(-9007.199254740993);
    // 123,456,789,012,345,678,901 pUSD = 123,456,789.012345678901 USD.
    expect(picosToUsd(123_456_789_012_345_678_901n)).toBe(123456789.012345678901);
    // 9e18 pUSD (the largest balance) = 9,000,000 USD.
    expect(picosToUsd(9_000_000_000_000_000_000n)).toBe(9_000_000);
  });

  it('gives the same double as parsing the exact decimal on both sides of 2^53', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    const around: bigint[] = [];
    for (let delta = -3n; delta <= 3n; delta++) around.push(safe + delta, -(safe + delta));
    // And a spread of amounts with awkward fractions below and far above the limit.
    for (let value = 1n; value < 10n ** 24n; value = value * 7n + 3n) around.push(value, -value);
    for (const picos of around) {
      expect(picosToUsd(picos), `picos ${picos}`).toBe(Number(exactDecimal(picos)));
    }
  });
});

describe('balance bounds', () => {
  it('keeps MAX_BALANCE_NANOS inside Number.MAX_SAFE_INTEGER', () => {
    // 9,000,000 USD × 10^9 = 9 × 10^15 < 2^53 − 1 = 9,007,199,254,740,991.
    expect(MAX_BALANCE_NANOS).toBe(9_000_000_000_000_000);
    expect(NANOS_PER_USD).toBe(1_000_000_000);
    expect(Number.isSafeInteger(MAX_BALANCE_NANOS)).toBe(true);
    expect(MAX_BALANCE_NANOS).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    // The largest posting (1M USD) is inside the largest balance.
    expect(usdToNanos(MAX_POSTING_USD)).toBeLessThanOrEqual(MAX_BALANCE_NANOS);
  });
});

describe('toPicoPricing', () => {
  it('defaults cache prices to the prompt price, reasoning to the completion price, and the request fee to 0', () => {
    const pricing = toPicoPricing({ prompt: 0.5, completion: 1.5 });
    expect(pricing).toEqual({
      prompt: 500_000n, // 0.5 × 10^6
      completion: 1_500_000n, // 1.5 × 10^6
      cacheRead: 500_000n, // = prompt
      cacheWrite: 500_000n, // = prompt
      reasoning: 1_500_000n, // = completion
      request: 0n,
      tiers: [],
    });
  });

  it('uses the given cache, reasoning and request prices', () => {
    const pricing = toPicoPricing({ prompt: 3, completion: 15, cacheRead: 0.3, cacheWrite: 3.75, reasoning: 20, request: 0.0004 });
    expect(pricing.cacheRead).toBe(300_000n); // 0.3 × 10^6
    expect(pricing.cacheWrite).toBe(3_750_000n); // 3.75 × 10^6
    expect(pricing.reasoning).toBe(20_000_000n);
    expect(pricing.request).toBe(400_000_000n); // 0.0004 USD = 4 × 10^8 pUSD per request
  });

  it('keeps a price of 0 instead of defaulting it', () => {
    const pricing = toPicoPricing({ prompt: 1, completion: 2, cacheRead: 0, reasoning: 0 });
    expect(pricing.cacheRead).toBe(0n);
    expect(pricing.reasoning).toBe(0n);
  });

  it('keeps the (sorted) tiers in their order, defaulting a tier’s cache prices to the tier’s own prompt price', () => {
    const pricing = toPicoPricing({
      prompt: 0.5,
      completion: 1.5,
      tiers: [
        { abovePromptTokens: 128_000, prompt: 1, completion: 3, cacheRead: 0.25 },
        { abovePromptTokens: 200_000, prompt: 2, completion: 6 },
      ],
    });
    expect(pricing.tiers).toEqual([
      { abovePromptTokens: 128_000, prompt: 1_000_000n, completion: 3_000_000n, cacheRead: 250_000n, cacheWrite: 1_000_000n },
      { abovePromptTokens: 200_000, prompt: 2_000_000n, completion: 6_000_000n, cacheRead: 2_000_000n, cacheWrite: 2_000_000n },
    ]);
  });
});
