/** Amounts of money a client or an operator sends in (top-ups, opening credits, spend limits), checked once. */
import { MAX_POSTING_USD, usdToNanos } from '../lib/money.js';
import { invalidRequest } from '../contract/errors.js';

/**
 * A USD amount from a client (a top-up, a credit, a limit) → integer nanodollars, or a 400 naming
 * `field`: the value must be a finite number, at most MAX_POSTING_USD in size, of at least one
 * nanodollar when non-zero, and of the sign allowed.
 */
export function usdAmount(value: unknown, field: string, options: { allowNegative?: boolean; allowZero?: boolean } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidRequest(`Invalid '${field}': expected a finite number of USD.`, field, 'invalid_type');
  }
  if (value < 0 && !options.allowNegative) throw invalidRequest(`Invalid '${field}': expected 0 or more (USD).`, field);
  if (Math.abs(value) > MAX_POSTING_USD) {
    throw invalidRequest(`Invalid '${field}': ${value} USD is out of range; one amount may be at most ${MAX_POSTING_USD} USD.`, field);
  }
  const nanos = usdToNanos(value);
  if (nanos === 0 && !options.allowZero) {
    throw invalidRequest(`Invalid '${field}': expected a non-zero amount of at least 0.000000001 USD.`, field);
  }
  return nanos;
}
