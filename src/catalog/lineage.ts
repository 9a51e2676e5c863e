/**
 * The model lineage graph in memory: Hugging Face models, base → derivative edges (finetune,
 * adapter, quantized, merge), loaded whole from the store at start and again whenever an import
 * moved the store's lineage version (`LineageDirectory`). Immutable once built.
 *
 * Layout: nodes in an array, edges in compressed rows (CSR) both ways — children of a node ordered
 * by downloads (most first), then id — so a family of 100,000 derivatives answers in milliseconds:
 *  - a family is a root (a model with no base) and every model reachable from it, each counted once
 *    however many paths reach it (a merge of two family members is one derivative); its depth is the
 *    shortest distance from the root and its kind the relation of the edge it is reached by on such a
 *    shortest path (when several qualify: merge > adapter > quantized > finetune);
 *  - per family, counts by kind and depth, the total, summed downloads and the derivatives ordered
 *    by downloads are computed once, when the graph is built;
 *  - any other node's derivatives are one breadth-first walk, cached (the last 256);
 *  - the tree an answer carries is bounded by `depth` and `limit` (nodes in all); a derivative of
 *    several bases appears once, under the first base the walk reaches it from.
 * A pair named with two relations keeps the stronger one (the order above). Self-references are
 * dropped; a cycle (bad metadata) is walked once and a cycle with no way in belongs to no family.
 */
import type { LineageEdgeRow, LineageNodeRow } from '../store/repos/lineage.js';

export type Relation = 'finetune' | 'adapter' | 'quantized' | 'merge';
/** Relation codes, in storage order. */
export const RELATIONS: readonly Relation[] = ['finetune', 'adapter', 'quantized', 'merge'];
/** Strength per code, for a derivative reached by several relations: merge > adapter > quantized > finetune. */
const STRENGTH = [0, 2, 1, 3] as const;
const CODE = new Map<string, number>(RELATIONS.map((relation, code) => [relation, code]));

/** Bounds of an answer's tree and lists. */
export const LINEAGE_LIMITS = {
  depth: { min: 0, max: 20, default: 2 },
  limit: { min: 1, max: 2000, default: 100 },
  top: { min: 0, max: 100, default: 10 },
} as const;
/** Levels and entries of a `bases` chain at most (a chain deeper than this is cut and marked). */
const BASES_MAX_LEVELS = 64;
const BASES_MAX_ENTRIES = 500;
const SUMMARY_CACHE = 256;

export interface LineageNode {
  index: number;
  /** The Hub id in lower case. */
  key: string;
  /** The Hub id as the Hub spells it. */
  id: string;
  author: string | null;
  downloads: number | null;
  likes: number | null;
  /** Epoch ms. */
  createdAt: number | null;
  lastModified: number | null;
  pipelineTag: string | null;
  library: string | null;
  license: string | null;
  gated: string | null;
  parameters: number | null;
  /** False when only the id is known (named as a base or child, no info of its own). */
  known: boolean;
}

export type KindCounts = Record<Relation, number>;

/** Derivative counts of a node (for a root: its family). */
export interface DerivativeCounts {
  total: number;
  byKind: KindCounts;
  /** Index d holds the derivatives at distance d (index 0 unused, always 0). */
  byDepth: number[];
  /** Sum of the derivatives' downloads (unknown counts as 0). */
  downloads: number;
}

interface Summary extends DerivativeCounts {
  /** Derivatives, most downloaded first (a family keeps all; another node its first LINEAGE_LIMITS.top.max). */
  ordered: Int32Array;
  orderedDepth: Uint16Array;
  orderedKind: Uint8Array;
}

/** Agora model ids per lower-case Hugging Face id: which catalog models serve a node. */
export type ServedMap = ReadonlyMap<string, readonly string[]>;

export interface LineageQuery {
  depth: number;
  limit: number;
  top: number;
}

export interface NodeView {
  id: string;
  author: string | null;
  url: string;
  downloads: number | null;
  likes: number | null;
  created_at: string | null;
  last_modified: string | null;
  pipeline_tag: string | null;
  library_name: string | null;
  license: string | null;
  gated: string | boolean | null;
  parameters: number | null;
  /** False when only the id is known. */
  metadata_known: boolean;
  /** Agora model ids that serve this model (catalog models whose hugging_face_id is this id). */
  agora_models: string[];
}

export interface CountsView {
  total: number;
  by_kind: KindCounts;
  by_depth: Record<string, number>;
  downloads: number;
}

export interface DerivativeEntry {
  id: string;
  relation: Relation;
  depth: number;
  downloads: number | null;
  likes: number | null;
  agora_models: string[];
}

export interface BaseEntry {
  id: string;
  /** How the model below derives from this base. */
  relation: Relation;
  downloads: number | null;
  agora_models: string[];
  bases: BaseEntry[];
  /** True when this base's own bases were cut (a cycle, or the chain's bounds). */
  truncated?: boolean;
}

export interface TreeEntry {
  id: string;
  /** Null for the tree's root (the asked node). */
  relation: Relation | null;
  depth: number;
  downloads: number | null;
  likes: number | null;
  agora_models: string[];
  /** Direct derivatives in all. */
  derivatives: number;
  /** Direct derivatives not shown here (cut by depth or limit, or shown under another base). */
  more: number;
  children: TreeEntry[];
}

export interface FamilyView {
  root: NodeView;
  derivatives: CountsView;
  max_depth: number;
  top: DerivativeEntry[];
}

export interface LineageView {
  node: NodeView;
  /** The models this one derives from, each with its own bases up to the roots. */
  bases: BaseEntry[];
  /** The family roots this model belongs to (itself when it has no base), with its depth in each. */
  families: Array<{ root: string; depth: number; derivatives: CountsView; agora_models: string[] }>;
  derivatives: CountsView & { top: DerivativeEntry[] };
  tree: TreeEntry;
  /** Nodes in the tree besides its root, and whether derivatives were left out of it. */
  tree_nodes: number;
  tree_truncated: boolean;
  /** Bases of this model that some catalog model serves, nearest first. */
  served_bases: Array<{ id: string; distance: number; agora_models: string[] }>;
  /** Derivatives of this model that some catalog model serves, nearest first. */
  served_derivatives: Array<{ id: string; depth: number; relation: Relation; agora_models: string[] }>;
}

export type FamilySort = 'total' | 'finetune' | 'adapter' | 'quantized' | 'merge' | 'downloads' | 'depth' | 'root';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function emptyKinds(): KindCounts {
  return { finetune: 0, adapter: 0, quantized: 0, merge: 0 };
}

function countsView(counts: DerivativeCounts): CountsView {
  const byDepth: Record<string, number> = {};
  counts.byDepth.forEach((value, depth) => {
    if (depth > 0 && value > 0) byDepth[String(depth)] = value;
  });
  return { total: counts.total, by_kind: { ...counts.byKind }, by_depth: byDepth, downloads: counts.downloads };
}

export class LineageGraph {
  readonly nodes: LineageNode[];
  readonly edgeCount: number;
  private readonly byKey = new Map<string, number>();
  /** Children of node i: childList[childStart[i] .. childStart[i+1]), relation codes in childRel; most downloaded first. */
  private readonly childStart: Int32Array;
  private readonly childList: Int32Array;
  private readonly childRel: Uint8Array;
  private readonly parentStart: Int32Array;
  private readonly parentList: Int32Array;
  private readonly parentRel: Uint8Array;
  /** Position of each node in the global order (downloads desc, likes desc, id asc). */
  private readonly rank: Int32Array;
  private readonly familyOf = new Map<number, Summary>();
  /** Roots of the families, largest first. */
  private readonly roots: number[];
  private readonly cache = new Map<number, Summary>();
  private readonly servedAncestors = new WeakMap<ServedMap, Array<{ node: number; kind: number; ancestors: Map<number, number> }>>();
  /** Walk scratch space, reused by every walk (queries run synchronously, one at a time). */
  private readonly mark: Int32Array;
  private readonly distance: Int32Array;
  private readonly kindOf: Uint8Array;
  private readonly queue: Int32Array;
  private stamp = 0;

  private constructor(
    nodes: LineageNode[],
    edges: Array<{ child: number; parent: number; code: number }>,
    readonly version: number,
  ) {
    this.nodes = nodes;
    const count = nodes.length;
    nodes.forEach((node) => this.byKey.set(node.key, node.index));
    // The global order, once: children and top lists are then integer comparisons.
    const downloads = Float64Array.from(nodes, (node) => node.downloads ?? -1);
    const likes = Float64Array.from(nodes, (node) => node.likes ?? -1);
    const order = Int32Array.from(nodes, (_, index) => index).sort((left, right) => {
      const byCounts = downloads[right]! - downloads[left]! || likes[right]! - likes[left]!;
      if (byCounts !== 0) return byCounts;
      const a = nodes[left]!.key;
      const b = nodes[right]!.key;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    this.rank = new Int32Array(count);
    order.forEach((node, position) => (this.rank[node] = position));
    // One edge per (child, parent) pair, the strongest relation kept.
    const pairs = new Map<number, { child: number; parent: number; code: number }>();
    for (const edge of edges) {
      if (edge.child === edge.parent) continue;
      const key = edge.child * count + edge.parent;
      const existing = pairs.get(key);
      if (!existing || STRENGTH[edge.code as 0]! > STRENGTH[existing.code as 0]!) pairs.set(key, edge);
    }
    const unique = [...pairs.values()];
    this.edgeCount = unique.length;
    [this.childStart, this.childList, this.childRel] = this.compress(count, unique, 'parent', 'child', order);
    [this.parentStart, this.parentList, this.parentRel] = this.compress(count, unique, 'child', 'parent', order);
    this.mark = new Int32Array(count);
    this.distance = new Int32Array(count);
    this.kindOf = new Uint8Array(count);
    this.queue = new Int32Array(Math.max(count, 1));
    const roots: number[] = [];
    for (let node = 0; node < count; node++) {
      if (this.parentStart[node + 1] === this.parentStart[node] && this.childStart[node + 1]! > this.childStart[node]!) {
        this.familyOf.set(node, this.summarise(node, Number.POSITIVE_INFINITY));
        roots.push(node);
      }
    }
    this.roots = roots.sort(
      (left, right) => this.familyOf.get(right)!.total - this.familyOf.get(left)!.total || this.rank[left]! - this.rank[right]!,
    );
  }

  /** Edges grouped by `from` (CSR), each group ordered by the global rank of `to`. */
  private compress(
    count: number,
    edges: Array<{ child: number; parent: number; code: number }>,
    from: 'parent' | 'child',
    to: 'parent' | 'child',
    order: Int32Array,
  ): [Int32Array, Int32Array, Uint8Array] {
    const start = new Int32Array(count + 1);
    for (const edge of edges) start[edge[from] + 1]!++;
    for (let index = 0; index < count; index++) start[index + 1]! += start[index]!;
    // rank × 4 + code, so a numeric sort of each group orders by rank and keeps the code alongside.
    const packed = new Float64Array(edges.length);
    const fill = start.slice(0, count);
    for (const edge of edges) packed[fill[edge[from]]!++] = this.rank[edge[to]]! * 4 + edge.code;
    const list = new Int32Array(edges.length);
    const rel = new Uint8Array(edges.length);
    for (let node = 0; node < count; node++) {
      const group = packed.subarray(start[node]!, start[node + 1]!);
      if (group.length > 1) group.sort();
    }
    for (let index = 0; index < packed.length; index++) {
      const value = packed[index]!;
      list[index] = order[Math.floor(value / 4)]!;
      rel[index] = value % 4;
    }
    return [start, list, rel];
  }

  static empty(): LineageGraph {
    return new LineageGraph([], [], 0);
  }

  /** Builds the graph from the store's rows; an edge naming a node without a row gets an id-only node. */
  static fromRows(rows: { nodes: readonly LineageNodeRow[]; edges: readonly LineageEdgeRow[]; version?: number }): LineageGraph {
    const nodes: LineageNode[] = [];
    const indexOf = new Map<string, number>();
    const add = (row: Pick<LineageNodeRow, 'key' | 'id'> & Partial<LineageNodeRow>): number => {
      const existing = indexOf.get(row.key);
      if (existing !== undefined) return existing;
      const index = nodes.length;
      nodes.push({
        index,
        key: row.key,
        id: row.id,
        author: row.author ?? null,
        downloads: row.downloads ?? null,
        likes: row.likes ?? null,
        createdAt: row.created_at ?? null,
        lastModified: row.last_modified ?? null,
        pipelineTag: row.pipeline_tag ?? null,
        library: row.library ?? null,
        license: row.license ?? null,
        gated: row.gated ?? null,
        parameters: row.parameters ?? null,
        known: row.known === 1,
      });
      indexOf.set(row.key, index);
      return index;
    };
    for (const row of rows.nodes) add(row);
    const edges: Array<{ child: number; parent: number; code: number }> = [];
    for (const edge of rows.edges) {
      const code = CODE.get(edge.relation);
      if (code === undefined) continue;
      edges.push({ child: add({ key: edge.child, id: edge.child }), parent: add({ key: edge.parent, id: edge.parent }), code });
    }
    return new LineageGraph(nodes, edges, rows.version ?? 0);
  }

  get size(): number {
    return this.nodes.length;
  }

  get familyCount(): number {
    return this.roots.length;
  }

  /** A node by Hub id, case-insensitively. */
  find(id: string): LineageNode | undefined {
    const index = this.byKey.get(id.toLowerCase());
    return index === undefined ? undefined : this.nodes[index];
  }

  private children(node: number): number {
    return this.childStart[node + 1]! - this.childStart[node]!;
  }

  private parents(node: number): number {
    return this.parentStart[node + 1]! - this.parentStart[node]!;
  }

  /**
   * Breadth-first walk down from `source` (see the file comment for depth and kind). Leaves each
   * reached node's distance and kind in the scratch arrays under the current stamp; returns the
   * number of nodes in `queue` (the source first).
   */
  private walkDown(source: number): number {
    const stamp = ++this.stamp;
    const { mark, distance, kindOf, queue, childStart, childList, childRel } = this;
    mark[source] = stamp;
    distance[source] = 0;
    queue[0] = source;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const node = queue[head++]!;
      const next = distance[node]! + 1;
      for (let edge = childStart[node]!, end = childStart[node + 1]!; edge < end; edge++) {
        const child = childList[edge]!;
        const code = childRel[edge]!;
        if (mark[child] !== stamp) {
          mark[child] = stamp;
          distance[child] = next;
          kindOf[child] = code;
          queue[tail++] = child;
        } else if (distance[child] === next && STRENGTH[code as 0]! > STRENGTH[kindOf[child]! as 0]!) {
          kindOf[child] = code;
        }
      }
    }
    return tail;
  }

  /** Derivative counts of `source`, and its derivatives by downloads (all, or the first `keep`). */
  private summarise(source: number, keep: number): Summary {
    const reached = this.walkDown(source);
    const { queue, distance, kindOf, rank, nodes } = this;
    const byKind = emptyKinds();
    const byDepth: number[] = [0];
    let downloads = 0;
    for (let position = 1; position < reached; position++) {
      const node = queue[position]!;
      byKind[RELATIONS[kindOf[node]!]!]++;
      const depth = distance[node]!;
      byDepth[depth] = (byDepth[depth] ?? 0) + 1;
      downloads += nodes[node]!.downloads ?? 0;
    }
    for (let depth = 0; depth < byDepth.length; depth++) byDepth[depth] ??= 0;
    const total = reached - 1;
    let ordered: Int32Array;
    if (total <= keep) {
      ordered = queue.slice(1, reached).sort((left, right) => rank[left]! - rank[right]!);
    } else {
      // The `keep` best ranks without sorting everything: a bounded insertion list.
      const best: number[] = [];
      for (let position = 1; position < reached; position++) {
        const node = queue[position]!;
        if (best.length === keep && rank[node]! >= rank[best[keep - 1]!]!) continue;
        let at = best.length === keep ? keep - 1 : best.length;
        while (at > 0 && rank[best[at - 1]!]! > rank[node]!) {
          best[at] = best[at - 1]!;
          at--;
        }
        best[at] = node;
      }
      ordered = Int32Array.from(best);
    }
    const orderedDepth = Uint16Array.from(ordered, (node) => Math.min(distance[node]!, 65_535));
    const orderedKind = Uint8Array.from(ordered, (node) => kindOf[node]!);
    return { total, byKind, byDepth, downloads, ordered, orderedDepth, orderedKind };
  }

  /** Derivatives of `node`: its family's when it is a root, else one walk (cached). */
  private summaryOf(node: number): Summary {
    const family = this.familyOf.get(node);
    if (family) return family;
    const cached = this.cache.get(node);
    if (cached) {
      this.cache.delete(node);
      this.cache.set(node, cached);
      return cached;
    }
    const summary = this.summarise(node, LINEAGE_LIMITS.top.max);
    if (this.cache.size >= SUMMARY_CACHE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(node, summary);
    return summary;
  }

  /** Derivative counts of `node` (a root's are its family's). */
  derivativeCounts(node: LineageNode): DerivativeCounts {
    const { total, byKind, byDepth, downloads } = this.summaryOf(node.index);
    return { total, byKind: { ...byKind }, byDepth: [...byDepth], downloads };
  }

  /** Ancestors of `node` with their distance (shortest), the node itself excluded. */
  private ancestors(node: number): Map<number, number> {
    const found = new Map<number, number>([[node, 0]]);
    const pending = [node];
    for (let head = 0; head < pending.length; head++) {
      const current = pending[head]!;
      const next = found.get(current)! + 1;
      for (let edge = this.parentStart[current]!, end = this.parentStart[current + 1]!; edge < end; edge++) {
        const parent = this.parentList[edge]!;
        if (!found.has(parent)) {
          found.set(parent, next);
          pending.push(parent);
        }
      }
    }
    found.delete(node);
    return found;
  }

  /** The strongest relation of `node` to any of its bases. */
  private ownKind(node: number): number {
    let best = -1;
    for (let edge = this.parentStart[node]!, end = this.parentStart[node + 1]!; edge < end; edge++) {
      const code = this.parentRel[edge]!;
      if (best === -1 || STRENGTH[code as 0]! > STRENGTH[best as 0]!) best = code;
    }
    return Math.max(best, 0);
  }

  private served(served: ServedMap, node: number): string[] {
    return [...(served.get(this.nodes[node]!.key) ?? [])];
  }

  nodeView(node: LineageNode, served: ServedMap = new Map()): NodeView {
    return {
      id: node.id,
      author: node.author,
      url: `https://huggingface.co/${node.id}`,
      downloads: node.downloads,
      likes: node.likes,
      created_at: iso(node.createdAt),
      last_modified: iso(node.lastModified),
      pipeline_tag: node.pipelineTag,
      library_name: node.library,
      license: node.license,
      gated: node.gated === 'false' ? false : node.gated,
      parameters: node.parameters,
      metadata_known: node.known,
      agora_models: this.served(served, node.index),
    };
  }

  private topOf(summary: Summary, count: number, served: ServedMap): DerivativeEntry[] {
    const out: DerivativeEntry[] = [];
    for (let position = 0; position < Math.min(count, summary.ordered.length); position++) {
      const node = this.nodes[summary.ordered[position]!]!;
      out.push({
        id: node.id,
        relation: RELATIONS[summary.orderedKind[position]!]!,
        depth: summary.orderedDepth[position]!,
        downloads: node.downloads,
        likes: node.likes,
        agora_models: this.served(served, node.index),
      });
    }
    return out;
  }

  private basesOf(node: number, served: ServedMap, path: Set<number>, budget: { left: number }): BaseEntry[] {
    const out: BaseEntry[] = [];
    for (let edge = this.parentStart[node]!, end = this.parentStart[node + 1]!; edge < end; edge++) {
      if (budget.left <= 0) break;
      budget.left--;
      const parent = this.parentList[edge]!;
      const facts = this.nodes[parent]!;
      const entry: BaseEntry = {
        id: facts.id,
        relation: RELATIONS[this.parentRel[edge]!]!,
        downloads: facts.downloads,
        agora_models: this.served(served, parent),
        bases: [],
      };
      if (this.parents(parent) > 0) {
        if (path.has(parent) || path.size >= BASES_MAX_LEVELS || budget.left <= 0) entry.truncated = true;
        else {
          path.add(parent);
          entry.bases = this.basesOf(parent, served, path, budget);
          path.delete(parent);
          if (entry.bases.length < this.parents(parent)) entry.truncated = true;
        }
      }
      out.push(entry);
    }
    return out;
  }

  /** The derivative tree of `source`: breadth-first, at most `depth` levels and `limit` nodes below the root. */
  private tree(source: number, depth: number, limit: number, served: ServedMap): { tree: TreeEntry; nodes: number; truncated: boolean } {
    const stamp = ++this.stamp;
    const { mark, childStart, childList, childRel } = this;
    const entry = (node: number, relation: Relation | null, level: number): TreeEntry => {
      const facts = this.nodes[node]!;
      const derivatives = this.children(node);
      return {
        id: facts.id,
        relation,
        depth: level,
        downloads: facts.downloads,
        likes: facts.likes,
        agora_models: this.served(served, node),
        derivatives,
        more: derivatives,
        children: [],
      };
    };
    const root = entry(source, null, 0);
    mark[source] = stamp;
    const pending: Array<[number, TreeEntry]> = [[source, root]];
    let shown = 0;
    let truncated = false;
    for (let head = 0; head < pending.length; head++) {
      const [node, view] = pending[head]!;
      if (view.derivatives === 0) continue;
      if (view.depth >= depth || shown >= limit) {
        truncated = true;
        continue;
      }
      for (let edge = childStart[node]!, end = childStart[node + 1]!; edge < end; edge++) {
        const child = childList[edge]!;
        if (mark[child] === stamp) continue;
        if (shown >= limit) {
          truncated = true;
          break;
        }
        mark[child] = stamp;
        const childView = entry(child, RELATIONS[childRel[edge]!]!, view.depth + 1);
        view.children.push(childView);
        pending.push([child, childView]);
        shown++;
      }
      view.more = view.derivatives - view.children.length;
    }
    return { tree: root, nodes: shown, truncated };
  }

  /** Served nodes with their ancestors, once per served map. */
  private servedIndex(served: ServedMap): Array<{ node: number; kind: number; ancestors: Map<number, number> }> {
    let index = this.servedAncestors.get(served);
    if (!index) {
      index = [];
      for (const key of served.keys()) {
        const node = this.byKey.get(key);
        if (node !== undefined) index.push({ node, kind: this.ownKind(node), ancestors: this.ancestors(node) });
      }
      this.servedAncestors.set(served, index);
    }
    return index;
  }

  /** Everything `GET /api/v1/lineage/{id}` and `agora lineage ID` show about one node. */
  lineage(node: LineageNode, query: LineageQuery, served: ServedMap = new Map()): LineageView {
    const index = node.index;
    const ancestors = this.ancestors(index);
    const rootIndices = [...ancestors.entries()].filter(([ancestor]) => this.parents(ancestor) === 0);
    if (this.parents(index) === 0) rootIndices.unshift([index, 0]);
    rootIndices.sort((left, right) => left[1] - right[1] || this.rank[left[0]]! - this.rank[right[0]]!);
    const families = rootIndices.map(([root, depth]) => {
      const family = this.familyOf.get(root);
      return {
        root: this.nodes[root]!.id,
        depth,
        derivatives: family ? countsView(family) : countsView({ total: 0, byKind: emptyKinds(), byDepth: [0], downloads: 0 }),
        agora_models: this.served(served, root),
      };
    });
    const summary = this.summaryOf(index);
    const { tree, nodes, truncated } = this.tree(index, query.depth, query.limit, served);
    const servedBases = [...ancestors.entries()]
      .filter(([ancestor]) => served.has(this.nodes[ancestor]!.key))
      .sort((left, right) => left[1] - right[1] || this.rank[left[0]]! - this.rank[right[0]]!)
      .map(([ancestor, distance]) => ({ id: this.nodes[ancestor]!.id, distance, agora_models: this.served(served, ancestor) }));
    const servedDerivatives = this.servedIndex(served)
      .filter((entry) => entry.ancestors.has(index))
      .map((entry) => ({ entry, depth: entry.ancestors.get(index)! }))
      .sort((left, right) => left.depth - right.depth || this.rank[left.entry.node]! - this.rank[right.entry.node]!)
      .map(({ entry, depth }) => ({
        id: this.nodes[entry.node]!.id,
        depth,
        relation: RELATIONS[entry.kind]!,
        agora_models: this.served(served, entry.node),
      }));
    return {
      node: this.nodeView(node, served),
      bases: this.basesOf(index, served, new Set([index]), { left: BASES_MAX_ENTRIES }),
      families,
      derivatives: { ...countsView(summary), top: this.topOf(summary, query.top, served) },
      tree,
      tree_nodes: nodes,
      tree_truncated: truncated,
      served_bases: servedBases,
      served_derivatives: servedDerivatives,
    };
  }

  /** Every family (a root with at least one derivative), sorted; `top` derivatives each. */
  families(
    options: { sort?: FamilySort; order?: 'asc' | 'desc'; limit?: number; top?: number } = {},
    served: ServedMap = new Map(),
  ): FamilyView[] {
    const sort = options.sort ?? 'total';
    let roots = this.roots;
    if (sort !== 'total' || options.order === 'asc') {
      const key = (root: number): number => {
        const family = this.familyOf.get(root)!;
        if (sort === 'total') return family.total;
        if (sort === 'downloads') return family.downloads;
        if (sort === 'depth') return family.byDepth.length - 1;
        if (sort === 'root') return 0;
        return family.byKind[sort];
      };
      const direction = (options.order ?? (sort === 'root' ? 'asc' : 'desc')) === 'asc' ? 1 : -1;
      roots = [...roots].sort((left, right) => {
        if (sort === 'root') {
          const a = this.nodes[left]!.key;
          const b = this.nodes[right]!.key;
          return direction * (a < b ? -1 : a > b ? 1 : 0);
        }
        return direction * (key(left) - key(right)) || this.rank[left]! - this.rank[right]!;
      });
    }
    return roots.slice(0, options.limit ?? roots.length).map((root) => {
      const family = this.familyOf.get(root)!;
      return {
        root: this.nodeView(this.nodes[root]!, served),
        derivatives: countsView(family),
        max_depth: family.byDepth.length - 1,
        top: this.topOf(family, options.top ?? 5, served),
      };
    });
  }
}

/** What the directory reads: the store's LineageRepo satisfies it. */
export interface LineageSource {
  loadAll(): Promise<{ nodes: LineageNodeRow[]; edges: LineageEdgeRow[]; version: number }>;
  version(): Promise<number>;
}

/**
 * The gateway's current lineage graph: loaded at start, reloaded when the store's lineage version
 * moves (an import by this process calls `refresh`; one by another process, `agora lineage import`,
 * is seen by the background check every `refreshMs`). A failed reload keeps the last good graph.
 */
export class LineageDirectory {
  graph: LineageGraph = LineageGraph.empty();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly source: LineageSource,
    private readonly refreshMs = 5_000,
  ) {}

  /** Loads the whole graph now. */
  async load(): Promise<void> {
    this.graph = LineageGraph.fromRows(await this.source.loadAll());
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Reloads when the store's version differs from the graph's; true when it did. One at a time. */
  refresh(): Promise<boolean> {
    this.running ??= (async () => {
      try {
        if ((await this.source.version()) === this.graph.version) return false;
        await this.load();
        return true;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Resolves when the next reload (a changed version) is in place. */
  nextLoad(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  start(onError: (error: unknown) => void): void {
    this.timer = setInterval(() => void this.refresh().catch(onError), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** Which catalog models serve which Hub model: Agora ids per lower-case `hugging_face_id`. */
export function servedMapOf(models: Iterable<{ id: string; huggingFaceId: string | undefined }>): ServedMap {
  const map = new Map<string, string[]>();
  for (const model of models) {
    if (!model.huggingFaceId) continue;
    const key = model.huggingFaceId.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), model.id].sort());
  }
  return map;
}

export interface ResolvedLineageId {
  node: LineageNode | undefined;
  /** The Hub id an Agora model id maps to (its `hugging_face_id`), when the asked id is one. */
  huggingFaceId: string | undefined;
  resolvedFrom: 'agora' | 'hugging_face' | undefined;
}

/**
 * An asked id → a node: an Agora model id first, through its `hugging_face_id` (a `:variant`
 * suffix is ignored: Hub ids never hold a colon), then a Hub id, case-insensitively.
 */
export function resolveLineageId(
  graph: LineageGraph,
  asked: string,
  huggingFaceIdOf: (agoraId: string) => string | undefined,
): ResolvedLineageId {
  const colon = asked.indexOf(':');
  const agoraId = colon === -1 ? asked : asked.slice(0, colon);
  const huggingFaceId = huggingFaceIdOf(agoraId) ?? huggingFaceIdOf(agoraId.toLowerCase());
  const mapped = huggingFaceId ? graph.find(huggingFaceId) : undefined;
  if (mapped) return { node: mapped, huggingFaceId, resolvedFrom: 'agora' };
  const direct = graph.find(asked);
  return { node: direct, huggingFaceId, resolvedFrom: direct ? 'hugging_face' : undefined };
}
