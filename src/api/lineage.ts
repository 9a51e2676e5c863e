/**
 * The lineage graph, public like the rest of the catalog (it describes models, nothing of any
 * account):
 * GET /api/v1/lineage/{author}/{slug} — one model's facts, its bases up to the roots, its families,
 * derivative counts by kind and depth, the top derivatives by downloads and a derivative tree
 * bounded by `depth` (levels, default 2) and `limit` (nodes, default 100); `top` (default 10) sets
 * how many top derivatives. The id is an Agora model id (`deepseek/deepseek-r1`, through the
 * catalog's `hugging_face_id`; a `:variant` suffix is ignored) or a Hugging Face id
 * (`deepseek-ai/DeepSeek-R1`, any case). Nodes a catalog model serves carry its Agora ids, and the
 * answer lists the served bases and served derivatives.
 * GET /api/v1/lineage/families — every family (a root and its derivatives) with its counts and top
 * derivatives: `sort` (total, finetune, adapter, quantized, merge, downloads, depth, root), `order`
 * (asc, desc), `limit` (families), `top` (derivatives per family, default 5).
 */
import type { CatalogSnapshot } from '../catalog/snapshot.js';
import { LINEAGE_LIMITS, resolveLineageId, servedMapOf, type FamilySort, type ServedMap } from '../catalog/lineage.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { invalidRequest, notFound } from '../contract/errors.js';

const FAMILY_SORTS: readonly FamilySort[] = ['total', 'finetune', 'adapter', 'quantized', 'merge', 'downloads', 'depth', 'root'];

function whole(exchange: Exchange, name: string, bounds: { min: number; max: number; default: number }): number {
  const text = exchange.query.get(name);
  if (text === null || text === '') return bounds.default;
  const value = Number(text);
  if (!/^\d{1,9}$/.test(text) || value < bounds.min || value > bounds.max) {
    throw invalidRequest(`Invalid '${name}': expected a whole number from ${bounds.min} to ${bounds.max}.`, name);
  }
  return value;
}

function oneOf<T extends string>(exchange: Exchange, name: string, allowed: readonly T[]): T | undefined {
  const text = exchange.query.get(name);
  if (text === null || text === '') return undefined;
  if (!(allowed as readonly string[]).includes(text)) {
    throw invalidRequest(`Invalid '${name}': expected one of ${allowed.join(', ')}.`, name);
  }
  return text as T;
}

/** Agora ids per lower-case Hugging Face id, once per catalog snapshot (a synced catalog installs a new one). */
const servedBySnapshot = new WeakMap<CatalogSnapshot, ServedMap>();

export function servedMap(catalog: CatalogSnapshot): ServedMap {
  let served = servedBySnapshot.get(catalog);
  if (!served) {
    served = servedMapOf([...catalog.models.values()].map((entry) => entry.model));
    servedBySnapshot.set(catalog, served);
  }
  return served;
}

export function lineageOf(exchange: Exchange, author: string, slug: string): void {
  const { gateway } = exchange;
  const depth = whole(exchange, 'depth', LINEAGE_LIMITS.depth);
  const limit = whole(exchange, 'limit', LINEAGE_LIMITS.limit);
  const top = whole(exchange, 'top', LINEAGE_LIMITS.top);
  const asked = `${author}/${slug}`;
  const graph = gateway.lineage.graph;
  const { node, huggingFaceId, resolvedFrom } = resolveLineageId(graph, asked, (id) => gateway.catalog.get(id)?.model.huggingFaceId);
  if (!node) {
    const shownId = asked.length > 200 ? `${asked.slice(0, 200)}…` : asked;
    const message = huggingFaceId
      ? `The model '${shownId}' (Hugging Face id ${huggingFaceId}) is not in the lineage graph; import its family with \`agora lineage import\`.`
      : `The model '${shownId}' is not in the lineage graph (neither an Agora model with a Hugging Face id nor an imported Hugging Face id).`;
    throw notFound(message, 'model_not_found', { id: shownId });
  }
  const view = graph.lineage(node, { depth, limit, top }, servedMap(gateway.catalog));
  sendJson(exchange.response, 200, {
    data: {
      ...view,
      query: { id: asked, resolved_from: resolvedFrom, depth, limit, top },
      graph: { version: graph.version, nodes: graph.size, edges: graph.edgeCount, families: graph.familyCount },
    },
  });
}

export function lineageFamilies(exchange: Exchange): void {
  const { gateway } = exchange;
  const sort = oneOf(exchange, 'sort', FAMILY_SORTS) ?? 'total';
  const order = oneOf(exchange, 'order', ['asc', 'desc'] as const);
  const limit = whole(exchange, 'limit', { min: 1, max: 10_000, default: 100 });
  const top = whole(exchange, 'top', { min: 0, max: LINEAGE_LIMITS.top.max, default: 5 });
  const graph = gateway.lineage.graph;
  const data = graph.families({ sort, ...(order ? { order } : {}), limit, top }, servedMap(gateway.catalog));
  sendJson(exchange.response, 200, {
    data,
    total_count: graph.familyCount,
    graph: { version: graph.version, nodes: graph.size, edges: graph.edgeCount, families: graph.familyCount },
  });
}
