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

function blendedPrice(entry: CatalogEndpoint): number {
  return entry.blendedPrice;
}

/**
 * OpenRouter's default: pick the first endpoint at random, weighted by the inverse square of its
 * price, and keep the rest, cheapest first, as fallbacks. `ranked` must already be cheapest first
 * (the catalog keeps endpoints in price order), so this is one pass, no sort. Reorders in place.
 */
export function inverseSquarePrice(ranked: Ranked[], random: () => number = Math.random): Ranked[] {
  if (ranked.length <= 1) return ranked;
  let total = 0;
  for (const item of ranked) total += item.entry.weight;
  let target = random() * total;
  let chosen = 0;
  for (; chosen < ranked.length - 1; chosen++) {
    target -= ranked[chosen]!.entry.weight;
    if (target < 0) break;
  }
  if (chosen > 0) {
    const first = ranked[chosen]!;
    ranked.copyWithin(1, 0, chosen);
    ranked[0] = first;
  }
  return ranked;
}

function throughputOf(item: Ranked): number | null {
  return item.health.throughput.percentile(0.5);
}

function latencyOf(item: Ranked): number | null {
  return item.health.ttft.percentile(0.5);
}

/** Sorts by a measured value (read once per endpoint); endpoints without measurements go after measured ones, cheapest first. */
function byMeasure(ranked: Ranked[], measure: (item: Ranked) => number | null, descending: boolean): Ranked[] {
  const measured = ranked.map((item, index) => ({ item, value: measure(item), index }));
  measured.sort((left, right) => {
    if (left.value === null || right.value === null) {
      if (left.value !== null) return -1;
      if (right.value !== null) return 1;
      return left.index - right.index; // input is cheapest first
    }
    return descending ? right.value - left.value : left.value - right.value;
  });
  return measured.map((entry) => entry.item);
}

export function sortBy(ranked: Ranked[], sort: SortBy): Ranked[] {
  switch (sort) {
    case 'price':
      return ranked; // the catalog keeps endpoints cheapest first
    case 'throughput':
      return byMeasure(ranked, throughputOf, true);
    case 'latency':
      return byMeasure(ranked, latencyOf, false);
  }
}
