/**
 * Ordering strategies. Each takes the endpoints that passed the filters and returns them best
 * first. Health comes first in every strategy: endpoints with a recent outage go behind stable
 * ones (routing/plan.ts partitions before calling a strategy).
 */
import type { CatalogEndpoint } from '../../catalog/snapshot.js';
import type { EndpointHealth } from '../health.js';
import type { SortBy } from '../preferences.js';

export interface Ranked {
  entry: CatalogEndpoint;
  health: EndpointHealth;
}

/** Blended list price, USD per 1M tokens (what `sort: price` and the default weighting use). */
export function blendedPrice(entry: CatalogEndpoint): number {
  const pricing = entry.endpoint.pricing;
  return pricing.prompt + pricing.completion;
}

/**
 * OpenRouter's default: pick the first endpoint at random, weighted by the inverse square of its
 * price, and keep the rest, cheapest first, as fallbacks.
 */
export function inverseSquarePrice(ranked: Ranked[], random: () => number = Math.random): Ranked[] {
  if (ranked.length <= 1) return ranked;
  const byPrice = [...ranked].sort((left, right) => blendedPrice(left.entry) - blendedPrice(right.entry));
  let total = 0;
  const weights = byPrice.map((item) => {
    const price = Math.max(blendedPrice(item.entry), 0.001);
    const weight = 1 / (price * price);
    total += weight;
    return weight;
  });
  let target = random() * total;
  let chosen = 0;
  for (; chosen < weights.length - 1; chosen++) {
    target -= weights[chosen]!;
    if (target < 0) break;
  }
  const first = byPrice[chosen]!;
  byPrice.splice(chosen, 1);
  byPrice.unshift(first);
  return byPrice;
}

function throughputOf(item: Ranked): number | null {
  return item.health.throughput.percentile(0.5);
}

function latencyOf(item: Ranked): number | null {
  return item.health.ttft.percentile(0.5);
}

/** Sorts by a measured value; endpoints without measurements go after measured ones, cheapest first. */
function byMeasure(ranked: Ranked[], measure: (item: Ranked) => number | null, descending: boolean): Ranked[] {
  return [...ranked].sort((left, right) => {
    const a = measure(left);
    const b = measure(right);
    if (a === null || b === null) {
      if (a !== null) return -1;
      if (b !== null) return 1;
      return blendedPrice(left.entry) - blendedPrice(right.entry);
    }
    return descending ? b - a : a - b;
  });
}

export function sortBy(ranked: Ranked[], sort: SortBy): Ranked[] {
  switch (sort) {
    case 'price':
      return [...ranked].sort((left, right) => blendedPrice(left.entry) - blendedPrice(right.entry));
    case 'throughput':
      return byMeasure(ranked, throughputOf, true);
    case 'latency':
      return byMeasure(ranked, latencyOf, false);
  }
}
