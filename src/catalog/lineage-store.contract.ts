/**
 * The lineage store's contract (the repo, with the importer in front), run on SQLite and on
 * PostgreSQL by lineage-store.sqlite.test.ts and lineage-store.postgres.test.ts: the real
 * model-tree sample (../shared/data/hf-lineage-sample.json, skipped with a message when ../shared
 * is absent) imported and counted per family and per kind against an independent count computed
 * here straight from the JSON; re-imports that change nothing; a Hub-format import through a fake
 * Hub with paged lists over it; a dry run; 100,000 nodes in seconds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub, type HubEntry } from '../../test/fakes/hf-hub.js';
import { freshDatabase, type TestDatabase } from '../../test/helpers/gateway.js';
import { importLineage, lineageRows } from './import/lineage.js';
import type { HubModel } from './import/hf-hub.js';
import { LineageGraph, RELATIONS, type Relation } from './lineage.js';
import { openStore, type Store } from '../store/index.js';

const SHARED = join(import.meta.dirname, '../../../shared');
const SAMPLE = join(SHARED, 'data/hf-lineage-sample.json');
const SAMPLE_PRESENT = existsSync(SAMPLE);
const FIXTURES = join(import.meta.dirname, '../../test/fixtures/hf-hub');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

interface SampleRow {
  id: string;
  depth: number;
  base_model_relations_from_tags: Array<{ relation: Relation; base: string }>;
  children_finetunes: string[];
  children_adapters: string[];
  children_quantized: string[];
  children_merges: string[];
}
interface Sample {
  trees: Array<{ root: string; models: SampleRow[] }>;
}

const LISTS: Array<[keyof SampleRow, Relation]> = [
  ['children_finetunes', 'finetune'],
  ['children_adapters', 'adapter'],
  ['children_quantized', 'quantized'],
  ['children_merges', 'merge'],
];

/**
 * The independent count, from the JSON alone: a family's derivatives are the ids (lower case) its
 * rows name in their children lists or as the child of their tag relations, the root excluded; a
 * kind is the list (or tag relation) that names it; a depth is the scraper's own `depth` for a
 * row, and its listing parent's depth + 1 for an id without a row (the smallest when listed twice).
 */
function independentCount(tree: Sample['trees'][number]) {
  const root = tree.root.toLowerCase();
  const kinds = new Map<string, Set<Relation>>();
  const depth = new Map<string, number>();
  const edges = new Set<string>();
  const rowDepth = new Map(tree.models.map((row) => [row.id.toLowerCase(), row.depth]));
  for (const row of tree.models) {
    const parent = row.id.toLowerCase();
    for (const [list, kind] of LISTS) {
      for (const id of row[list] as string[]) {
        const child = id.toLowerCase();
        if (child === parent) continue;
        edges.add(`${parent}>${child}>${kind}`);
        if (child === root) continue;
        kinds.set(child, (kinds.get(child) ?? new Set()).add(kind));
        const at = rowDepth.get(child) ?? row.depth + 1;
        depth.set(child, Math.min(depth.get(child) ?? Infinity, at));
      }
    }
    for (const { relation, base } of row.base_model_relations_from_tags) {
      edges.add(`${base.toLowerCase()}>${parent}>${relation}`);
      if (parent === root) continue;
      kinds.set(parent, (kinds.get(parent) ?? new Set()).add(relation));
      depth.set(parent, Math.min(depth.get(parent) ?? Infinity, row.depth));
    }
  }
  const byKind = Object.fromEntries(RELATIONS.map((kind) => [kind, 0])) as Record<Relation, number>;
  for (const set of kinds.values()) for (const kind of set) byKind[kind]++;
  const byDepth: Record<string, number> = {};
  for (const value of depth.values()) byDepth[String(value)] = (byDepth[String(value)] ?? 0) + 1;
  const ambiguous = [...kinds.values()].filter((set) => set.size > 1).length;
  return { total: kinds.size, byKind, byDepth, ambiguous, ids: new Set([root, ...kinds.keys()]), edges };
}

/** A synthetic family of `size` derivatives: a root, 1/4 at depth 1, the rest below them, with merges. */
function syntheticModels(size: number): HubModel[] {
  const relations: Relation[] = ['finetune', 'adapter', 'quantized', 'finetune', 'merge'];
  const model = (id: string, index: number, bases: HubModel['bases']): HubModel => ({
    id,
    author: id.split('/')[0]!,
    downloads: (index * 7919) % 100_003,
    likes: index % 97,
    createdAt: new Date(Date.UTC(2025, 0, 1) + index * 1000).toISOString(),
    lastModified: null,
    license: 'apache-2.0',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    gated: false,
    tags: [],
    bases,
    parameters: index % 3 === 0 ? 7_000_000_000 : null,
    known: true,
  });
  const models = [model('synthetic/Base', 0, [])];
  const firstLevel = Math.max(1, Math.floor(size / 4));
  for (let index = 1; index <= size; index++) {
    const relation = relations[index % relations.length]!;
    const parent = index <= firstLevel ? 'synthetic/Base' : `derivs/m${(index * 31) % firstLevel || 1}`;
    const bases = [{ id: parent, relation, sources: ['tags' as const] }];
    if (relation === 'merge' && index > 2) bases.push({ id: `derivs/m${index - 1}`, relation, sources: ['tags' as const] });
    models.push(model(`derivs/m${index}`, index, bases));
  }
  return models;
}

export function lineageContract(kind: TestDatabase): void {
  describe(`lineage store on ${kind}`, () => {
    let drops: Array<() => Promise<void>> = [];
    let stores: Store[] = [];
    let hub: FakeHub | undefined;

    async function fresh(): Promise<Store> {
      const { url, drop } = await freshDatabase(kind);
      drops.push(drop);
      const store = await openStore(url);
      stores.push(store);
      return store;
    }

    afterEach(async () => {
      await hub?.close();
      hub = undefined;
    });
    afterAll(async () => {
      for (const store of stores) await store.close();
      for (const drop of drops) await drop();
      stores = [];
      drops = [];
    });

    describe.skipIf(!SAMPLE_PRESENT)(`the real sample${SAMPLE_PRESENT ? '' : ` (skipped: ${SAMPLE} is absent)`}`, () => {
      let store: Store;
      let sample: Sample;
      let first: Awaited<ReturnType<typeof importLineage>>;

      beforeAll(async () => {
        sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as Sample;
        store = await fresh();
        first = await importLineage(store.lineage, SAMPLE);
      });

      it('imports every model and every (parent, child, relation) once', () => {
        const counts = sample.trees.map(independentCount);
        const ids = new Set(counts.flatMap((count) => [...count.ids]));
        const edges = new Set(counts.flatMap((count) => [...count.edges]));
        expect(first.report.nodes).toEqual({ added: ids.size, changed: 0, unchanged: 0 });
        expect(first.report.edges).toEqual({ added: edges.size, changed: 0, unchanged: 0 });
        expect(first.report.version).toBe(1);
        expect(first.read).toEqual({ models: ids.size, skipped: 0, pages: 1 });
      });

      it('counts derivatives per family, per kind and per depth exactly as the independent count of the JSON', async () => {
        const graph = LineageGraph.fromRows(await store.lineage.loadAll());
        expect(graph.familyCount).toBe(6);
        for (const tree of sample.trees) {
          const expected = independentCount(tree);
          // No derivative of the sample is named with two kinds, so a count per kind is unambiguous.
          expect(expected.ambiguous, tree.root).toBe(0);
          const family = graph.families({ limit: 100 }).find((item) => item.root.id === tree.root);
          expect(family, tree.root).toBeDefined();
          expect({
            root: tree.root,
            total: family!.derivatives.total,
            byKind: family!.derivatives.by_kind,
            byDepth: family!.derivatives.by_depth,
          }).toEqual({
            root: tree.root,
            total: expected.total,
            byKind: expected.byKind,
            byDepth: expected.byDepth,
          });
        }
      });

      it("agrees with SOURCE.md's root counts: the depth-1 derivatives by kind are the root's own lists", async () => {
        const graph = LineageGraph.fromRows(await store.lineage.loadAll());
        const documented: Record<string, [number, number, number, number]> = {
          'deepseek-ai/DeepSeek-R1': [300, 120, 48, 2],
          'deepseek-ai/DeepSeek-V3': [78, 38, 16, 1],
          'deepseek-ai/Janus-Pro-7B': [26, 6, 2, 0],
          'meta-llama/Llama-2-7b': [33, 5, 6, 0],
          'meta-llama/Llama-2-7b-chat-hf': [437, 1129, 66, 4],
          'microsoft/phi-2': [299, 927, 26, 5],
        };
        for (const [root, [finetunes, adapters, quantized, merges]] of Object.entries(documented)) {
          const view = graph.lineage(graph.find(root)!, { depth: 1, limit: 2000, top: 0 });
          const firstLevel = { finetune: 0, adapter: 0, quantized: 0, merge: 0 };
          for (const child of view.tree.children) firstLevel[child.relation!]++;
          expect({ root, ...firstLevel }).toEqual({ root, finetune: finetunes, adapter: adapters, quantized, merge: merges });
        }
      });

      it('re-importing the sample changes nothing, and the version stays', async () => {
        const again = await importLineage(store.lineage, SAMPLE);
        expect(again.report.nodes).toEqual({ added: 0, changed: 0, unchanged: first.report.nodes.added });
        expect(again.report.edges).toEqual({ added: 0, changed: 0, unchanged: first.report.edges.added });
        expect(again.report.version).toBe(1);
        expect(await store.lineage.version()).toBe(1);
      });

      it('a Hub-format import over it (paged lists from a fake Hub) adds facts to id-only models and evidence to edges, and nothing else', async () => {
        hub = await startFakeHub({ list: fixture<HubEntry[]>('list-derivatives-deepseek-r1.json') });
        const before = LineageGraph.fromRows(await store.lineage.loadAll()).families({ limit: 10 });
        const { report, read } = await importLineage(
          store.lineage,
          `${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=2`,
          {
            hub: { env: {} },
          },
        );
        expect(read).toEqual({ models: 5, skipped: 0, pages: 3 });
        // perplexity-ai/r1-1776 has the same facts in both; R1 itself comes only as an id (a base) and is left alone.
        expect(report.nodes).toEqual({ added: 0, changed: 4, unchanged: 2 });
        expect(report.examples.changedNodes.sort()).toEqual(
          ['Bixho/idkai', 'imsanjoykb/deepSQL-R1-distill-8B', 'mlx-community/DeepSeek-R1-3bit', 'unsloth/DeepSeek-R1-GGUF'].sort(),
        );
        // The sample knew these edges from the parent's lists; the Hub's tags confirm them.
        expect(report.edges).toEqual({ added: 0, changed: 5, unchanged: 1 });
        expect(report.version).toBe(2);
        // Facts and evidence only: every family keeps its derivatives, kinds and depths.
        const graph = LineageGraph.fromRows(await store.lineage.loadAll());
        const shape = (families: typeof before) =>
          families.map((family) => [family.root.id, family.derivatives.total, family.derivatives.by_kind, family.derivatives.by_depth]);
        expect(shape(graph.families({ limit: 10 }))).toEqual(shape(before));
        expect(graph.find('unsloth/deepseek-r1-gguf')).toMatchObject({
          id: 'unsloth/DeepSeek-R1-GGUF',
          downloads: 60512,
          known: true,
          library: 'transformers',
        });
        expect(graph.find('deepseek-ai/deepseek-r1')).toMatchObject({ downloads: 1757133, license: 'mit', known: true });
        const again = await importLineage(store.lineage, `${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=2`, {
          hub: { env: {} },
        });
        expect(again.report.nodes.changed + again.report.nodes.added + again.report.edges.changed + again.report.edges.added).toBe(0);
      });
    });

    it('a Hub import into an empty graph: list pages, then the base model info fills the id-only base', async () => {
      const store = await fresh();
      hub = await startFakeHub({
        list: fixture<HubEntry[]>('list-derivatives-deepseek-r1.json'),
        infos: [fixture<HubEntry>('model-info-deepseek-r1.json')],
      });
      const listed = await importLineage(store.lineage, `${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=2`, {
        hub: { env: {} },
      });
      expect(listed.report.nodes).toEqual({ added: 6, changed: 0, unchanged: 0 });
      expect(listed.report.edges).toEqual({ added: 6, changed: 0, unchanged: 0 });
      const info = await importLineage(store.lineage, `${hub.url}/api/models/deepseek-ai/DeepSeek-R1`, { hub: { env: {} } });
      expect(info.report.nodes).toEqual({ added: 0, changed: 1, unchanged: 0 });
      expect(info.report.version).toBe(2);
      const graph = LineageGraph.fromRows(await store.lineage.loadAll());
      expect(graph.find('deepseek-ai/DeepSeek-R1')).toMatchObject({
        known: true,
        parameters: 684531386000,
        license: 'mit',
        gated: 'false',
      });
      const [family] = graph.families();
      expect(family!.derivatives).toMatchObject({
        total: 5,
        by_kind: { finetune: 1, adapter: 1, quantized: 2, merge: 1 },
        by_depth: { '1': 5 },
      });
      // The merge of R1 and r1-1776 is reached at depth 1 (from R1) and counted once.
      expect(graph.lineage(graph.find('bixho/IDKAI')!, { depth: 1, limit: 10, top: 0 }).bases.map((base) => base.id)).toEqual([
        'deepseek-ai/DeepSeek-R1',
        'perplexity-ai/r1-1776',
      ]);
    });

    it('a dry run reports what would change and writes nothing', async () => {
      const store = await fresh();
      const rows = lineageRows(syntheticModels(50));
      const dry = await store.lineage.import(rows, { dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, version: 0, nodes: { added: 51 }, edges: { added: rows.edges.length } });
      expect(await store.lineage.counts()).toEqual({ nodes: 0, edges: 0 });
      expect(await store.lineage.version()).toBe(0);
    });

    it('an id-only reading never changes a stored model; a newer reading changes only the facts it gives', async () => {
      const store = await fresh();
      const [base, child] = syntheticModels(1);
      await store.lineage.import(lineageRows([base!, child!]));
      const stub = lineageRows([{ ...child!, known: false, downloads: null, likes: null, license: null, author: null }]);
      expect((await store.lineage.import(stub)).nodes).toEqual({ added: 0, changed: 0, unchanged: 2 });
      const newer = lineageRows([{ ...child!, downloads: 12_345, license: null }]);
      const report = await store.lineage.import(newer);
      expect(report.nodes).toEqual({ added: 0, changed: 1, unchanged: 1 });
      const stored = (await store.lineage.findNodes(['derivs/m1'])).get('derivs/m1');
      expect(stored).toMatchObject({ downloads: 12_345, license: 'apache-2.0', known: 1 });
    });

    it('imports 100,000 derivatives in seconds, and re-imports them changing nothing', async () => {
      const store = await fresh();
      const rows = lineageRows(syntheticModels(100_000));
      let started = performance.now();
      const first = await store.lineage.import(rows);
      const importMs = performance.now() - started;
      expect(first.nodes.added).toBe(100_001);
      expect(first.edges.added).toBe(rows.edges.length);
      started = performance.now();
      const again = await store.lineage.import(rows);
      const againMs = performance.now() - started;
      expect(again.nodes).toEqual({ added: 0, changed: 0, unchanged: 100_001 });
      expect(again.edges).toEqual({ added: 0, changed: 0, unchanged: rows.edges.length });
      console.log(`[lineage on ${kind}] 100,000-derivative import ${importMs.toFixed(0)} ms, re-import ${againMs.toFixed(0)} ms`);
      expect(importMs).toBeLessThan(20_000);
      expect(againMs).toBeLessThan(20_000);
      started = performance.now();
      const graph = LineageGraph.fromRows(await store.lineage.loadAll());
      console.log(`[lineage on ${kind}] load + build ${(performance.now() - started).toFixed(0)} ms`);
      expect(graph.families()[0]!.derivatives.total).toBe(100_000);
    }, 120_000);
  });
}
