/**
 * Money. Two integer units, no floats in any sum:
 * - prices: picodollars per token (1e-12 USD). A list price of X USD per 1M tokens is X × 10^6
 *   pUSD per token, a whole number for every price with up to six decimals (the cheapest listed
 *   prices, e.g. 0.0375, are whole: 37,500);
 * - amounts (charges, balances, limits): nanodollars (1e-9 USD). A charge is computed exactly in
 *   picodollars and rounded once, half up, to nanodollars; sums of charges are then exact.
 * Balances up to ±9 million USD stay inside JavaScript's exact integer range.
 */

export const NANOS_PER_USD = 1_000_000_000;

/** Largest amount one posting may carry (a top-up, an adjustment, an opening credit, a spend limit). */
export const MAX_POSTING_USD = 1_000_000;
/**
 * Largest balance (either sign): 9,000,000 USD is 9e15 nanodollars, inside 2^53, so every sum of
 * balances and charges stays an exact integer.
 */
export const MAX_BALANCE_NANOS = 9_000_000 * NANOS_PER_USD;
const PICOS_PER_NANO = 1_000n;

/** Parses a decimal (number or string) into an integer count of 10^-scale units, rounding half up. */
export function decimalToUnits(value: number | string, scale: number): bigint {
  const text = typeof value === 'number' ? numberToPlain(value) : value.trim();
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new Error(`not a decimal number: ${text}`);
  const [, sign, whole = '', fraction = ''] = match;
  const kept = (fraction + '0'.repeat(scale)).slice(0, scale);
  let units = BigInt(whole || '0') * 10n ** BigInt(scale) + BigInt(kept || '0');
  if (fraction.length > scale && Number(fraction[scale]) >= 5) units += 1n;
  return sign === '-' ? -units : units;
}

/** A number as a plain decimal string (no exponent), exactly as JavaScript prints its shortest form. */
function numberToPlain(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa, exponentText] = text.toLowerCase().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const pointAt =
    (mantissa.replace('-', '').indexOf('.') === -1 ? mantissa.replace('-', '').length : mantissa.replace('-', '').indexOf('.')) + exponent;
  const plain =
    pointAt <= 0
      ? `0.${'0'.repeat(-pointAt)}${digits}`
      : pointAt >= digits.length
        ? digits + '0'.repeat(pointAt - digits.length)
        : `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${plain}` : plain;
}

/** USD per 1M tokens → picodollars per token. */
export function picosPerToken(usdPerMillion: number): bigint {
  return decimalToUnits(usdPerMillion, 6);
}

/** USD (e.g. a per-request price or a top-up) → picodollars. */
export function usdToPicos(usd: number | string): bigint {
  return decimalToUnits(usd, 12);
}

/** USD → nanodollars, rounded half up. */
export function usdToNanos(usd: number | string): number {
  return Number(decimalToUnits(usd, 9));
}

/** Picodollars → nanodollars, rounded half up (the one rounding rule for charges). */
export function picosToNanos(picos: bigint): number {
  const negative = picos < 0n;
  const magnitude = negative ? -picos : picos;
  const nanos = (magnitude + PICOS_PER_NANO / 2n) / PICOS_PER_NANO;
  return Number(negative ? -nanos : nanos);
}

/** Nanodollars → an exact decimal USD string ("0.000439600"), trailing zeros trimmed. */
export function formatUsd(nanos: number): string {
  const negative = nanos < 0;
  const text = String(Math.abs(nanos)).padStart(10, '0');
  const whole = text.slice(0, -9);
  const fraction = text.slice(-9).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Nanodollars → USD as a JSON number (the closest double to the exact decimal). */
export function nanosToUsd(nanos: number): number {
  return Number(formatUsd(nanos));
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Picodollars → USD as a JSON number. Within 2^53 the division of two exact doubles is correctly
 * rounded, so it gives the same double as parsing the exact decimal (the fast path).
 */
export function picosToUsd(picos: bigint): number {
  if (picos <= SAFE && picos >= -SAFE) return Number(picos) / 1e12;
  const negative = picos < 0n;
  const text = (negative ? -picos : picos).toString().padStart(13, '0');
  return Number(`${negative ? '-' : ''}${text.slice(0, -12)}.${text.slice(-12)}`);
}

/** List prices in USD per 1M tokens (per request for `request`), as the config gives them. */
export interface ListPrices {
  prompt: number;
  completion: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  request?: number;
  tiers?: Array<{ abovePromptTokens: number; prompt: number; completion: number; cacheRead?: number; cacheWrite?: number }>;
}

/** An endpoint's prices in picodollars per token (per request for `request`), computed once. */
export interface PicoPricing {
  prompt: bigint;
  completion: bigint;
  cacheRead: bigint;
  cacheWrite: bigint;
  reasoning: bigint;
  request: bigint;
  tiers: Array<{ abovePromptTokens: number; prompt: bigint; completion: bigint; cacheRead: bigint; cacheWrite: bigint }>;
}

export function toPicoPricing(pricing: ListPrices): PicoPricing {
  const prompt = picosPerToken(pricing.prompt);
  const completion = picosPerToken(pricing.completion);
  return {
    prompt,
    completion,
    cacheRead: pricing.cacheRead === undefined ? prompt : picosPerToken(pricing.cacheRead),
    cacheWrite: pricing.cacheWrite === undefined ? prompt : picosPerToken(pricing.cacheWrite),
    reasoning: pricing.reasoning === undefined ? completion : picosPerToken(pricing.reasoning),
    request: pricing.request === undefined ? 0n : usdToPicos(pricing.request),
    tiers: (pricing.tiers ?? []).map((tier) => {
      const tierPrompt = picosPerToken(tier.prompt);
      return {
        abovePromptTokens: tier.abovePromptTokens,
        prompt: tierPrompt,
        completion: picosPerToken(tier.completion),
        cacheRead: tier.cacheRead === undefined ? tierPrompt : picosPerToken(tier.cacheRead),
        cacheWrite: tier.cacheWrite === undefined ? tierPrompt : picosPerToken(tier.cacheWrite),
      };
    }),
  };
}
