/**
 * GET /api/v1/leaderboard[?model=ID][&suite=NAME] — the benchmark leaderboard (evals/leaderboard.ts):
 * per model its latest finished run of each suite with a 95% interval, the Agora index and its
 * weights, blended price at the cheapest enabled host, median speed and time to first token from
 * speed probes, the nearest base model on the leaderboard (lineage), each host's verification, and
 * `chart`: the points of a score-against-price chart. Any key may read it.
 */
import type { Exchange } from '../gateway.js';
import { authenticate } from '../http/auth.js';
import { sendJson } from '../http/respond.js';
import { blendedPrice, INDEX_WEIGHTS, leaderboard } from '../evals/leaderboard.js';
import { resolveLineageId, type BaseEntry } from '../catalog/lineage.js';
import { servedMap } from './lineage.js';

const PROBE_WINDOW_MS = 7 * 86_400_000;

export async function leaderboardRoute(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  await authenticate(exchange.request.headers, gateway.keys);
  const model = exchange.query.get('model') || undefined;
  const suite = exchange.query.get('suite') || undefined;
  const runs = await gateway.evals.listRuns({ status: 'done', purpose: 'bench', ...(model ? { model } : {}), ...(suite ? { suite } : {}) });
  // Totals only for the run each model and suite shows (the newest finished one).
  const seen = new Set<string>();
  const shown = runs.filter((run) => {
    const key = `${run.model}\u0000${run.suite}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const withTotals = await Promise.all(shown.map(async (run) => ({ run, totals: await gateway.evals.totals(run.id) })));
  const probes = await gateway.evals.probes(Date.now() - PROBE_WINDOW_MS, model);
  const catalog = gateway.catalog;
  const rows = leaderboard(withTotals, probes, (id) => {
    const entry = catalog.get(id);
    if (!entry) return undefined;
    let best: { blended: number; provider: string } | undefined;
    for (const endpoint of entry.available) {
      if (endpoint.endpoint.status === 'disabled') continue;
      const blended = blendedPrice(endpoint.endpoint.pricing.prompt, endpoint.endpoint.pricing.completion);
      if (!best || blended < best.blended) best = { blended, provider: endpoint.provider.id };
    }
    return best;
  });
  const indexOf = new Map(rows.map((row) => [row.model, row.index]));
  const graph = gateway.lineage.graph;
  const served = servedMap(catalog);
  const data = rows.map((row) => {
    // The nearest base (breadth first up the lineage) that has a leaderboard row of its own.
    let base: { model: string; relation: string; index: number | null } | null = null;
    const { node } = resolveLineageId(graph, row.model, (id) => catalog.get(id)?.model.huggingFaceId);
    if (node) {
      let level: BaseEntry[] = graph.lineage(node, { depth: 1, limit: 1, top: 1 }, served).bases;
      while (level.length > 0 && !base) {
        for (const entry of level) {
          const ranked = entry.agora_models.find((id) => id !== row.model && indexOf.has(id));
          if (ranked) {
            base = { model: ranked, relation: entry.relation, index: indexOf.get(ranked) ?? null };
            break;
          }
        }
        level = level.flatMap((entry) => entry.bases);
      }
    }
    const hosts = (catalog.get(row.model)?.endpoints ?? []).map((endpoint) => {
      const state = gateway.planner.verificationFor(endpoint.key);
      return {
        provider: endpoint.provider.id,
        verification: state ? { status: state.status, reason: state.reason, at: new Date(state.at).toISOString() } : null,
      };
    });
    return { ...row, base, hosts };
  });
  sendJson(exchange.response, 200, {
    data,
    index: {
      weights: INDEX_WEIGHTS,
      other_suite_weight: 0.1,
      scale: '0-100',
      note: 'weighted mean of the suite scores present; compare models of equal coverage',
    },
    chart: data
      .filter((row) => row.index !== null && row.blended_price !== null)
      .map((row) => ({ model: row.model, index: row.index, blended_price: row.blended_price, median_output_tps: row.median_output_tps })),
  });
}
