/** The in-memory lineage graph on small hand-made DAGs, where every count can be checked by eye. */
import { describe, expect, it } from 'vitest';
import type { LineageEdgeRow, LineageNodeRow } from '../store/repos/lineage.js';
import { LineageDirectory, LineageGraph, resolveLineageId, servedMapOf, type LineageSource, type Relation } from './lineage.js';

function node(id: string, downloads: number | null = null, likes: number | null = null): LineageNodeRow {
  return {
    key: id.toLowerCase(),
    id,
    author: id.split('/')[0] ?? null,
    downloads,
    likes,
    created_at: null,
    last_modified: null,
    pipeline_tag: null,
    library: null,
    license: null,
    gated: null,
    parameters: null,
    known: downloads === null ? 0 : 1,
  };
}

/** `edges`: [parent, child, relation]; `downloads`: id → downloads (every id named gets a node). */
function graphOf(edges: Array<[string, string, Relation]>, downloads: Record<string, number> = {}, version = 1): LineageGraph {
  const ids = new Set([...Object.keys(downloads), ...edges.flatMap(([parent, child]) => [parent, child])]);
  const nodes = [...ids].map((id) => node(id, downloads[id] ?? 0));
  const rows: LineageEdgeRow[] = edges.map(([parent, child, relation]) => ({
    parent: parent.toLowerCase(),
    child: child.toLowerCase(),
    relation,
    evidence: 1,
  }));
  return LineageGraph.fromRows({ nodes, edges: rows, version });
}

const Q = { depth: 5, limit: 100, top: 10 };

describe('families', () => {
  it('counts a merge reached by two paths once, at its shortest depth, with counts by kind and depth', () => {
    const graph = graphOf([
      ['r/root', 'a/tune', 'finetune'],
      ['r/root', 'b/lora', 'adapter'],
      ['a/tune', 'm/merge', 'merge'],
      ['b/lora', 'm/merge', 'merge'],
      ['m/merge', 'q/gguf', 'quantized'],
    ]);
    const [family] = graph.families();
    expect(family!.root.id).toBe('r/root');
    expect(family!.derivatives).toMatchObject({
      total: 4,
      by_kind: { finetune: 1, adapter: 1, quantized: 1, merge: 1 },
      by_depth: { '1': 2, '2': 1, '3': 1 },
    });
    expect(family!.max_depth).toBe(3);
    expect(graph.familyCount).toBe(1);
  });

  it('a derivative reached at the same depth by two relations counts under the stronger (merge > adapter > quantized > finetune)', () => {
    const graph = graphOf([
      ['r/root', 'a/one', 'finetune'],
      ['r/root', 'b/two', 'finetune'],
      ['a/one', 'x/both', 'finetune'],
      ['b/two', 'x/both', 'adapter'],
      // A shorter path decides over a stronger relation further down.
      ['r/root', 'y/near', 'finetune'],
      ['a/one', 'y/near', 'merge'],
    ]);
    const counts = graph.derivativeCounts(graph.find('r/root')!);
    expect(counts.byKind).toEqual({ finetune: 3, adapter: 1, quantized: 0, merge: 0 });
    expect(counts.byDepth).toEqual([0, 3, 1]);
  });

  it('a pair named with two relations is one edge, under the stronger relation', () => {
    const graph = graphOf([
      ['r/root', 'a/x', 'finetune'],
      ['r/root', 'a/x', 'quantized'],
    ]);
    expect(graph.edgeCount).toBe(1);
    expect(graph.families()[0]!.derivatives.by_kind).toEqual({ finetune: 0, adapter: 0, quantized: 1, merge: 0 });
  });

  it('a merge of two roots belongs to both families, once in each', () => {
    const graph = graphOf([
      ['one/root', 'm/merge', 'merge'],
      ['two/root', 'm/merge', 'merge'],
      ['two/root', 'two/tune', 'finetune'],
    ]);
    const families = Object.fromEntries(graph.families().map((family) => [family.root.id, family.derivatives.total]));
    expect(families).toEqual({ 'one/root': 1, 'two/root': 2 });
    const view = graph.lineage(graph.find('m/merge')!, Q);
    expect(view.families.map((family) => [family.root, family.depth])).toEqual([
      ['one/root', 1],
      ['two/root', 1],
    ]);
    expect(view.bases.map((base) => [base.id, base.relation])).toEqual([
      ['one/root', 'merge'],
      ['two/root', 'merge'],
    ]);
  });

  it('survives cycles (bad metadata): walked once; a cycle with no way in belongs to no family', () => {
    const graph = graphOf([
      ['r/root', 'a/x', 'finetune'],
      ['a/x', 'b/y', 'finetune'],
      ['b/y', 'a/x', 'finetune'],
      ['c/loop', 'd/loop', 'finetune'],
      ['d/loop', 'c/loop', 'finetune'],
      ['s/self', 's/self', 'finetune'],
    ]);
    expect(graph.families().map((family) => [family.root.id, family.derivatives.total])).toEqual([['r/root', 2]]);
    const loop = graph.lineage(graph.find('c/loop')!, Q);
    expect(loop.families).toEqual([]);
    expect(loop.bases).toMatchObject([{ id: 'd/loop', bases: [{ id: 'c/loop', truncated: true }] }]);
    expect(loop.derivatives.total).toBe(1);
    expect(graph.lineage(graph.find('s/self')!, Q).bases).toEqual([]);
  });

  it('sorts families by any count, either way', () => {
    const graph = graphOf(
      [
        ['big/root', 'big/a', 'finetune'],
        ['big/root', 'big/b', 'finetune'],
        ['big/root', 'big/c', 'adapter'],
        ['small/root', 'small/a', 'adapter'],
        ['small/root', 'small/b', 'adapter'],
      ],
      { 'big/a': 5, 'small/a': 1000 },
    );
    const roots = (options: Parameters<LineageGraph['families']>[0]) => graph.families(options).map((family) => family.root.id);
    expect(roots({})).toEqual(['big/root', 'small/root']);
    expect(roots({ order: 'asc' })).toEqual(['small/root', 'big/root']);
    expect(roots({ sort: 'adapter' })).toEqual(['small/root', 'big/root']);
    expect(roots({ sort: 'downloads' })).toEqual(['small/root', 'big/root']);
    expect(roots({ sort: 'root' })).toEqual(['big/root', 'small/root']);
    expect(roots({ sort: 'root', order: 'desc', limit: 1 })).toEqual(['small/root']);
    expect(graph.families({ top: 1 })[0]!.top.map((entry) => entry.id)).toEqual(['big/a']);
  });
});

describe('one node', () => {
  const graph = graphOf(
    [
      ['org/Base', 'org/Instruct', 'finetune'],
      ['org/Instruct', 'fan/Instruct-GGUF', 'quantized'],
      ['org/Instruct', 'fan/Instruct-LoRA', 'adapter'],
      ['fan/Instruct-LoRA', 'fan/Instruct-LoRA-merged', 'finetune'],
      ['org/Base', 'lab/Other', 'finetune'],
    ],
    {
      'org/Base': 900,
      'org/Instruct': 800,
      'fan/Instruct-GGUF': 30,
      'fan/Instruct-LoRA': 50,
      'fan/Instruct-LoRA-merged': 1,
      'lab/Other': 40,
    },
  );

  it('is found case-insensitively', () => {
    expect(graph.find('ORG/instruct')!.id).toBe('org/Instruct');
    expect(graph.find('org/nothing')).toBeUndefined();
  });

  it('lists its bases up to the root, its family with its depth in it, and its own derivatives', () => {
    const view = graph.lineage(graph.find('fan/Instruct-LoRA')!, Q);
    expect(view.bases).toEqual([
      {
        id: 'org/Instruct',
        relation: 'adapter',
        downloads: 800,
        agora_models: [],
        bases: [{ id: 'org/Base', relation: 'finetune', downloads: 900, agora_models: [], bases: [] }],
      },
    ]);
    expect(view.families).toMatchObject([{ root: 'org/Base', depth: 2, derivatives: { total: 5 } }]);
    expect(view.derivatives).toMatchObject({ total: 1, by_kind: { finetune: 1 }, by_depth: { '1': 1 } });
  });

  it('orders top derivatives and tree children by downloads', () => {
    const view = graph.lineage(graph.find('org/Base')!, Q);
    expect(view.derivatives.top.map((entry) => [entry.id, entry.relation, entry.depth])).toEqual([
      ['org/Instruct', 'finetune', 1],
      ['fan/Instruct-LoRA', 'adapter', 2],
      ['lab/Other', 'finetune', 1],
      ['fan/Instruct-GGUF', 'quantized', 2],
      ['fan/Instruct-LoRA-merged', 'finetune', 3],
    ]);
    expect(view.tree.children.map((child) => child.id)).toEqual(['org/Instruct', 'lab/Other']);
    expect(view.tree.children[0]!.children.map((child) => child.id)).toEqual(['fan/Instruct-LoRA', 'fan/Instruct-GGUF']);
  });

  it('bounds the tree by depth and by nodes, and says what was left out', () => {
    const shallow = graph.lineage(graph.find('org/Base')!, { depth: 1, limit: 100, top: 0 });
    expect(shallow.tree_nodes).toBe(2);
    expect(shallow.tree_truncated).toBe(true);
    expect(shallow.tree.children[0]).toMatchObject({ id: 'org/Instruct', derivatives: 2, more: 2, children: [] });
    expect(shallow.derivatives.top).toEqual([]);
    const few = graph.lineage(graph.find('org/Base')!, { depth: 5, limit: 3, top: 10 });
    expect(few.tree_nodes).toBe(3);
    expect(few.tree).toMatchObject({ derivatives: 2, more: 0 });
    expect(few.tree.children[0]).toMatchObject({ derivatives: 2, more: 1 });
    const all = graph.lineage(graph.find('org/Base')!, { depth: 5, limit: 100, top: 10 });
    expect(all.tree_nodes).toBe(5);
    expect(all.tree_truncated).toBe(false);
  });

  it('links served models both ways: served bases of a derivative, served derivatives of a base', () => {
    const served = servedMapOf([
      { id: 'org/base', huggingFaceId: 'ORG/BASE' },
      { id: 'fan/instruct-gguf', huggingFaceId: 'fan/Instruct-GGUF' },
      { id: 'fan/instruct-gguf:floor', huggingFaceId: 'fan/Instruct-GGUF' },
      { id: 'lonely/model', huggingFaceId: undefined },
    ]);
    const base = graph.lineage(graph.find('org/Base')!, Q, served);
    expect(base.node.agora_models).toEqual(['org/base']);
    expect(base.served_derivatives).toEqual([
      { id: 'fan/Instruct-GGUF', depth: 2, relation: 'quantized', agora_models: ['fan/instruct-gguf', 'fan/instruct-gguf:floor'] },
    ]);
    const derivative = graph.lineage(graph.find('fan/Instruct-GGUF')!, Q, served);
    expect(derivative.served_bases).toEqual([{ id: 'org/Base', distance: 2, agora_models: ['org/base'] }]);
    expect(derivative.bases[0]!.bases[0]!.agora_models).toEqual(['org/base']);
  });

  it('resolves Agora ids through hugging_face_id (variant suffix ignored) before Hub ids', () => {
    const hf = (id: string): string | undefined => ({ 'acme/instruct': 'org/Instruct' })[id];
    expect(resolveLineageId(graph, 'acme/instruct', hf)).toMatchObject({ node: { id: 'org/Instruct' }, resolvedFrom: 'agora' });
    expect(resolveLineageId(graph, 'acme/instruct:nitro', hf)).toMatchObject({ node: { id: 'org/Instruct' }, resolvedFrom: 'agora' });
    expect(resolveLineageId(graph, 'ORG/base', hf)).toMatchObject({ node: { id: 'org/Base' }, resolvedFrom: 'hugging_face' });
    expect(resolveLineageId(graph, 'acme/unknown', hf)).toEqual({ node: undefined, huggingFaceId: undefined, resolvedFrom: undefined });
  });

  it('gives an edge to a node without a row an id-only node', () => {
    const sparse = LineageGraph.fromRows({ nodes: [], edges: [{ parent: 'x/base', child: 'y/child', relation: 'adapter', evidence: 2 }] });
    expect(sparse.size).toBe(2);
    expect(sparse.lineage(sparse.find('y/child')!, Q).node).toMatchObject({ metadata_known: false, downloads: null });
  });
});

describe('LineageDirectory', () => {
  function source(): LineageSource & { version_: number; loads: number } {
    const state = {
      version_: 1,
      loads: 0,
      async version() {
        return state.version_;
      },
      async loadAll() {
        state.loads++;
        return {
          nodes: [node('r/root', 1), node('c/child', 1)],
          edges: [{ parent: 'r/root', child: 'c/child', relation: 'finetune' as const, evidence: 1 }],
          version: state.version_,
        };
      },
    };
    return state;
  }

  it('reloads only when the store version moved', async () => {
    const store = source();
    const directory = new LineageDirectory(store);
    await directory.load();
    expect(directory.graph.version).toBe(1);
    expect(await directory.refresh()).toBe(false);
    store.version_ = 2;
    expect(await directory.refresh()).toBe(true);
    expect(directory.graph.version).toBe(2);
    expect(store.loads).toBe(2);
  });

  it('notices an import by another process in the background', async () => {
    const store = source();
    const directory = new LineageDirectory(store, 5);
    await directory.load();
    const reloaded = directory.nextLoad();
    directory.start(() => undefined);
    store.version_ = 7;
    await reloaded;
    directory.stop();
    expect(directory.graph.version).toBe(7);
  });
});
