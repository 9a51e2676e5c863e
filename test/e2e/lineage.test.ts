/**
 * Lineage end to end: `agora lineage import` (a separate process) fills a running gateway's
 * database with the real model-tree sample; the gateway picks the import up (its lineage version
 * moved) and answers `GET /api/v1/lineage/{author}/{slug}` for Agora ids (through the bundled
 * catalog's hugging_face_id) and Hugging Face ids in any case, with links to the catalog models
 * that serve a base or a derivative, and `GET /api/v1/lineage/families`; errors in OpenRouter's
 * shape. Then `agora lineage ID` draws the tree in the terminal. Needs ../shared (skipped, saying
 * so, without it) and a built dist/ (`npm run build`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cli } from '../helpers/processes.js';

const SAMPLE = join(import.meta.dirname, '../../../shared/data/hf-lineage-sample.json');
const PRESENT = existsSync(SAMPLE);

interface Row {
  id: string;
  children_finetunes: string[];
  children_adapters: string[];
  children_quantized: string[];
  children_merges: string[];
}

/** R1's derivatives counted straight from the JSON: every id its tree's rows list as a child, by list. */
function r1Counts(): { total: number; finetune: number; adapter: number; quantized: number; merge: number } {
  const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as { trees: Array<{ root: string; models: Row[] }> };
  const tree = sample.trees.find((item) => item.root === 'deepseek-ai/DeepSeek-R1')!;
  const byList = (list: keyof Row): Set<string> =>
    new Set(tree.models.flatMap((row) => (row[list] as string[]).map((id) => id.toLowerCase())));
  const [finetune, adapter, quantized, merge] = (
    ['children_finetunes', 'children_adapters', 'children_quantized', 'children_merges'] as const
  ).map(byList);
  const all = new Set([...finetune!, ...adapter!, ...quantized!, ...merge!]);
  return { total: all.size, finetune: finetune!.size, adapter: adapter!.size, quantized: quantized!.size, merge: merge!.size };
}

describe.skipIf(!PRESENT)(`lineage through the gateway and the CLI${PRESENT ? '' : ` (skipped: ${SAMPLE} is absent)`}`, () => {
  let gateway: TestGateway;
  let expected: ReturnType<typeof r1Counts>;

  const get = async (path: string): Promise<{ status: number; json: any }> => {
    const response = await fetch(`${gateway.url}${path}`);
    return { status: response.status, json: await response.json() };
  };

  beforeAll(async () => {
    expected = r1Counts();
    // The bundled catalog (deepseek/deepseek-r1 → deepseek-ai/DeepSeek-R1), plus a model serving an R1 derivative.
    gateway = await startTestGateway({
      yaml: `providers:
  acme: { base_url: http://127.0.0.1:9/v1, api_key_env: ACME_TEST_KEY }
models:
  acme/r1-1776:
    hugging_face_id: perplexity-ai/r1-1776
    endpoints:
      - { provider: acme, model: r1-1776, pricing: { prompt: 2, completion: 8 } }
`,
    });
    expect(gateway.running.gateway.lineage.graph.size).toBe(0);
    const imported = await cli(['lineage', 'import', SAMPLE, '--db', gateway.databaseUrl]);
    expect(imported.code, imported.stderr).toBe(0);
    // Another process wrote the import: the gateway sees the version move and reloads.
    expect(await gateway.running.gateway.lineage.refresh()).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('answers for an Agora model id, through the catalog, with the family counted as the JSON counts it', async () => {
    const { status, json } = await get('/api/v1/lineage/deepseek/deepseek-r1');
    expect(status).toBe(200);
    const data = json.data;
    expect(data.query).toMatchObject({ id: 'deepseek/deepseek-r1', resolved_from: 'agora', depth: 2, limit: 100, top: 10 });
    expect(data.node).toMatchObject({
      id: 'deepseek-ai/DeepSeek-R1',
      downloads: 1757133,
      license: 'mit',
      agora_models: ['deepseek/deepseek-r1'],
    });
    expect(data.bases).toEqual([]);
    expect(data.families).toHaveLength(1);
    expect(data.families[0]).toMatchObject({ root: 'deepseek-ai/DeepSeek-R1', depth: 0 });
    const { total, ...byKind } = expected;
    expect(data.derivatives).toMatchObject({ total, by_kind: byKind });
    expect(data.derivatives.top[0]).toMatchObject({ id: 'nvidia/DeepSeek-R1-FP4', relation: 'finetune', depth: 1, downloads: 58465 });
    expect(data.derivatives.top).toHaveLength(10);
    expect(data.tree_nodes).toBe(100);
    expect(data.tree_truncated).toBe(true);
    // The base lists its served derivatives.
    expect(data.served_derivatives).toEqual([
      { id: 'perplexity-ai/r1-1776', depth: 1, relation: 'finetune', agora_models: ['acme/r1-1776'] },
    ]);
  });

  it('answers for a Hugging Face id in any case, and for an Agora id with a variant suffix', async () => {
    const upper = await get('/api/v1/lineage/DEEPSEEK-AI/deepseek-R1');
    expect(upper.status).toBe(200);
    expect(upper.json.data.node.id).toBe('deepseek-ai/DeepSeek-R1');
    expect(upper.json.data.query.resolved_from).toBe('hugging_face');
    const variant = await get('/api/v1/lineage/deepseek/deepseek-r1:nitro');
    expect(variant.status).toBe(200);
    expect(variant.json.data.query.resolved_from).toBe('agora');
    expect(variant.json.data.node.id).toBe('deepseek-ai/DeepSeek-R1');
  });

  it('a derivative carries its base chain and links back to the served base', async () => {
    const { status, json } = await get('/api/v1/lineage/acme/r1-1776?depth=1&limit=5&top=3');
    expect(status).toBe(200);
    const data = json.data;
    expect(data.node).toMatchObject({ id: 'perplexity-ai/r1-1776', agora_models: ['acme/r1-1776'] });
    expect(data.bases).toEqual([
      { id: 'deepseek-ai/DeepSeek-R1', relation: 'finetune', downloads: 1757133, agora_models: ['deepseek/deepseek-r1'], bases: [] },
    ]);
    expect(data.served_bases).toEqual([{ id: 'deepseek-ai/DeepSeek-R1', distance: 1, agora_models: ['deepseek/deepseek-r1'] }]);
    expect(data.families).toMatchObject([{ root: 'deepseek-ai/DeepSeek-R1', depth: 1, agora_models: ['deepseek/deepseek-r1'] }]);
    expect(data.derivatives.top).toHaveLength(3);
    expect(data.tree_nodes).toBe(5);
    expect(data.tree.children.every((child: { depth: number }) => child.depth === 1)).toBe(true);
  });

  it('404 names the id, in OpenRouter error shape, for an unknown id and for a catalog model not imported', async () => {
    const unknown = await get('/api/v1/lineage/nobody/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({
      code: 404,
      metadata: { error_type: 'not_found', reason: 'model_not_found', id: 'nobody/nothing-here' },
    });
    expect(unknown.json.error.message).toContain("'nobody/nothing-here'");
    const notImported = await get('/api/v1/lineage/qwen/qwen3-32b');
    expect(notImported.status).toBe(404);
    expect(notImported.json.error.message).toContain("'qwen/qwen3-32b' (Hugging Face id Qwen/Qwen3-32B)");
  });

  it('400 names the bad query field', async () => {
    for (const [query, field] of [
      ['depth=abc', 'depth'],
      ['depth=21', 'depth'],
      ['limit=0', 'limit'],
      ['limit=1000000', 'limit'],
      ['top=-1', 'top'],
      ['depth=1.5', 'depth'],
    ] as const) {
      const { status, json } = await get(`/api/v1/lineage/deepseek/deepseek-r1?${query}`);
      expect(status, query).toBe(400);
      expect(json.error, query).toMatchObject({ code: 400, param: field, metadata: { error_type: 'invalid_request' } });
      expect(json.error.message, query).toContain(`'${field}'`);
    }
    for (const [query, field] of [
      ['sort=popularity', 'sort'],
      ['order=up', 'order'],
      ['limit=0', 'limit'],
      ['top=101', 'top'],
    ] as const) {
      const { status, json } = await get(`/api/v1/lineage/families?${query}`);
      expect(status, query).toBe(400);
      expect(json.error.param, query).toBe(field);
    }
  });

  it('lists the six families, largest first, with counts by kind and depth and their top derivatives; sortable', async () => {
    const { status, json } = await get('/api/v1/lineage/families');
    expect(status).toBe(200);
    expect(json.total_count).toBe(6);
    expect(json.data.map((family: { root: { id: string } }) => family.root.id)).toEqual([
      'meta-llama/Llama-2-7b-chat-hf',
      'microsoft/phi-2',
      'deepseek-ai/DeepSeek-R1',
      'meta-llama/Llama-2-7b',
      'deepseek-ai/DeepSeek-V3',
      'deepseek-ai/Janus-Pro-7B',
    ]);
    const r1 = json.data.find((family: { root: { id: string } }) => family.root.id === 'deepseek-ai/DeepSeek-R1');
    const { total, ...byKind } = expected;
    expect(r1.derivatives).toMatchObject({ total, by_kind: byKind });
    expect(r1.root.agora_models).toEqual(['deepseek/deepseek-r1']);
    expect(r1.top).toHaveLength(5);
    const byMerges = await get('/api/v1/lineage/families?sort=merge&limit=2&top=0');
    expect(byMerges.json.data.map((family: { root: { id: string } }) => family.root.id)).toEqual([
      'microsoft/phi-2',
      'meta-llama/Llama-2-7b-chat-hf',
    ]);
    expect(byMerges.json.data[0].top).toEqual([]);
  });

  it('`agora lineage ID` draws the base chain and a derivative tree with kinds, downloads and counts per kind', async () => {
    const root = await cli(['lineage', 'deepseek/deepseek-r1', '--depth', '2', '--limit', '4', '--db', gateway.databaseUrl]);
    expect(root.code, root.stderr).toBe(0);
    const lines = root.stdout.split('\n');
    expect(lines[0]).toBe('deepseek-ai/DeepSeek-R1 — served as deepseek/deepseek-r1');
    expect(root.stdout).toContain('Base chain: none — a root model');
    expect(root.stdout).toContain(
      `Family deepseek-ai/DeepSeek-R1: ${expected.total} derivatives — finetune ${expected.finetune} · adapter ${expected.adapter} · quantized ${expected.quantized} · merge ${expected.merge}`,
    );
    expect(root.stdout).toContain('├── [finetune] nvidia/DeepSeek-R1-FP4  58,465↓');
    expect(root.stdout).toContain(`Derivative tree (depth ≤ 2, 4 of ${expected.total} shown`);
    expect(root.stdout).toMatch(/└── … [\d,]+ more\n$/);

    const derivative = await cli(['lineage', 'PERPLEXITY-AI/R1-1776', '--db', gateway.databaseUrl]);
    expect(derivative.code, derivative.stderr).toBe(0);
    expect(derivative.stdout).toContain(
      'Base chain:\nperplexity-ai/r1-1776\n└─▶ finetune of deepseek-ai/DeepSeek-R1  1,757,133↓  [agora: deepseek/deepseek-r1]',
    );
    expect(derivative.stdout).toContain('Family deepseek-ai/DeepSeek-R1 (depth 1 here)');
    expect(derivative.stdout).toMatch(/├── \[quantized\] .+/);

    const missing = await cli(['lineage', 'nobody/nothing', '--db', gateway.databaseUrl]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nobody/nothing is not in the lineage graph');
  });

  it('`agora lineage import` again changes nothing, and says so; --dry-run writes nothing', async () => {
    const again = await cli(['lineage', 'import', SAMPLE, '--db', gateway.databaseUrl]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/models\s+0\s+0\s+[\d,]+/);
    expect(again.stdout).toMatch(/edges\s+0\s+0\s+[\d,]+/);
    expect(again.stdout).toContain('Nothing changed; lineage version 1.');
    expect(again.stderr).toContain('compared');
    expect(await gateway.running.gateway.lineage.refresh()).toBe(false);

    const help = await cli(['lineage', 'import', '--help']);
    expect(help.stdout).toContain('--dry-run');
    const dry = await cli(['lineage', 'import', SAMPLE, '--dry-run', '--db', 'sqlite::memory:']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/models\s+[1-9][\d,]*\s+0\s+0/);
    expect(dry.stdout).toContain('Dry run: nothing written');
  });
});
