#!/usr/bin/env node
// npm run bench:lineage — the lineage graph at the scale of Qwen's family on the Hub: a seeded
// generator makes one family of 100,000 derivatives (finetunes, adapters, quantizations, merges of
// two bases, a 60-level chain) and four smaller ones; the rows are imported into SQLite (and into
// PostgreSQL with --postgres URL) through the store, loaded into the in-memory graph, and the
// family list and the lineage of the root, of a deep node and of a mid node with a large subtree
// are timed, JSON serialisation included, in process and over HTTP through a running gateway.
// Bar: under 50 ms per lineage answer of the 100,000-derivative family.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { lineageRows } from '../dist/catalog/import/lineage.js';
import { LineageGraph } from '../dist/catalog/lineage.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/lib/logger.js';
import { startGateway } from '../dist/main.js';
import { openStore } from '../dist/store/index.js';
import { seededRandom } from './lib.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:lineage -- [--size N] [--runs R] [--seed S] [--postgres URL]
  --size N          derivatives of the large family (default 100000)
  --runs R          timed calls per query, after warm-up; median and p99 reported (default 200)
  --seed S          generator seed (default 11)
  --postgres URL    also time the import into PostgreSQL (a fresh schema, dropped after)
Bar: a lineage answer of the large family under 50 ms.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const SIZE = Number(option('--size', 100_000));
const RUNS = Number(option('--runs', 200));
const SEED = Number(option('--seed', 11));
const POSTGRES = option('--postgres', undefined);

const rand = seededRandom(SEED);
const pick = (list) => list[Math.floor(rand() * list.length)];
/** Downloads with a long tail, as on the Hub: most models near 0, a few in the millions. */
const downloads = () => Math.floor(10 ** (rand() * rand() * 7));
const RELATION = () => {
  const value = rand();
  return value < 0.45 ? 'finetune' : value < 0.8 ? 'adapter' : value < 0.97 ? 'quantized' : 'merge';
};

function model(id, bases) {
  return {
    id,
    author: id.split('/')[0],
    downloads: downloads(),
    likes: Math.floor(rand() * 50),
    createdAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(rand() * 400) * 86_400_000).toISOString(),
    lastModified: null,
    license: 'apache-2.0',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    gated: false,
    tags: [],
    bases: bases.map(([base, relation]) => ({ id: base, relation, sources: ['tags'] })),
    parameters: null,
    known: true,
  };
}

/** A family of `size` derivatives under `root`; returns the models and a few landmarks. */
function family(root, size) {
  const models = [model(root, [])];
  const levels = [[root]];
  const add = (level, parent, only) => {
    const id = `${root.split('/')[0]}-derivs/m${models.length}`;
    const relation = only ?? RELATION();
    const bases = [[parent, relation]];
    // A merge has a second base elsewhere in the family.
    if (relation === 'merge' && models.length > 2) bases.push([pick(models).id, 'merge']);
    models.push(model(id, bases));
    (levels[level] ??= []).push(id);
    return id;
  };
  const level1 = Math.floor(size * 0.6);
  const level2 = Math.floor(size * 0.3);
  const chain = Math.min(60, Math.floor(size / 100));
  for (let index = 0; index < level1; index++) add(1, root);
  const hub = levels[1][0];
  for (let index = 0; index < level2; index++) add(2, index % 5 === 0 ? hub : pick(levels[1]));
  let deep = levels[1][1];
  // The chain is fine-tunes only: a merge's second base would be a shortcut to the root.
  for (let index = 0; index < chain; index++) deep = add(2 + index, deep, 'finetune');
  while (models.length - 1 < size) add(3, pick(levels[2]));
  return { models, root, hub, deep };
}

const big = family('bench-org/Base-100k', SIZE);
const others = [20_000, 5_000, 1_000, 100].map((size, index) => family(`other-${index}/Base-${size}`, size));
const models = [...big.models, ...others.flatMap((item) => item.models)];
const rows = lineageRows(models);
process.stderr.write(`generated ${models.length.toLocaleString('en-US')} models, ${rows.edges.length.toLocaleString('en-US')} edges\n`);

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}
const ms = (value) => value.toFixed(value < 10 ? 2 : 1);
const report = [];

async function timeImport(label, url) {
  const store = await openStore(url);
  try {
    let started = performance.now();
    const first = await store.lineage.import(rows);
    const firstMs = performance.now() - started;
    started = performance.now();
    const again = await store.lineage.import(rows);
    const againMs = performance.now() - started;
    if (again.nodes.added + again.nodes.changed + again.edges.added + again.edges.changed !== 0) throw new Error('re-import changed rows');
    report.push([
      `import into ${label} (${first.nodes.added.toLocaleString('en-US')} nodes, ${first.edges.added.toLocaleString('en-US')} edges)`,
      ms(firstMs),
      '',
      '',
    ]);
    report.push([`re-import into ${label} (nothing changes)`, ms(againMs), '', '']);
    process.stderr.write(`${label}: import ${ms(firstMs)} ms, re-import ${ms(againMs)} ms\n`);
  } finally {
    await store.close();
  }
}

const folder = mkdtempSync(join(tmpdir(), 'agora-bench-lineage-'));
const sqliteUrl = `sqlite:${join(folder, 'lineage.db')}`;
try {
  await timeImport('SQLite', sqliteUrl);
  if (POSTGRES) {
    const schema = `bench_lineage_${process.pid}`;
    const separator = POSTGRES.includes('?') ? '&' : '?';
    try {
      await timeImport('PostgreSQL', `${POSTGRES}${separator}schema=${schema}`);
    } finally {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }

  // Load: rows from the store, then the graph (CSR, ranks, per-family aggregates).
  const store = await openStore(sqliteUrl);
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const loaded = await store.lineage.loadAll();
  const readMs = performance.now() - started;
  started = performance.now();
  const graph = LineageGraph.fromRows(loaded);
  const buildMs = performance.now() - started;
  await store.close();
  loaded.nodes.length = 0;
  loaded.edges.length = 0;
  global.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  report.push(['read the rows from SQLite', ms(readMs), '', '']);
  report.push([`build the graph (${graph.size.toLocaleString('en-US')} nodes, ${graph.familyCount} families)`, ms(buildMs), '', '']);

  const root = graph.find(big.root);
  const deep = graph.find(big.deep);
  const hub = graph.find(big.hub);
  const query = { depth: 2, limit: 100, top: 10 };
  const cases = [
    ['families (all, top 5 each)', () => JSON.stringify(graph.families({ top: 5 }))],
    ['lineage of the root (100k derivatives)', () => JSON.stringify(graph.lineage(root, query))],
    ['lineage of the root, depth 10, limit 2000', () => JSON.stringify(graph.lineage(root, { depth: 10, limit: 2000, top: 100 }))],
    [`lineage of a deep node (depth ${graph.lineage(deep, query).families[0].depth})`, () => JSON.stringify(graph.lineage(deep, query))],
    [
      `lineage of a mid node (${graph.derivativeCounts(hub).total.toLocaleString('en-US')} derivatives)`,
      () => JSON.stringify(graph.lineage(hub, query)),
    ],
  ];
  let worst = 0;
  for (const [name, run] of cases) {
    const coldStart = performance.now();
    run();
    const cold = performance.now() - coldStart;
    for (let index = 0; index < 20; index++) run();
    const samples = [];
    for (let index = 0; index < RUNS; index++) {
      const start = performance.now();
      run();
      samples.push(performance.now() - start);
    }
    const { median, p99 } = stats(samples);
    worst = Math.max(worst, p99, cold);
    report.push([`in process: ${name}`, ms(median), ms(p99), ms(cold)]);
    process.stderr.write(`${name}: median ${ms(median)} ms, p99 ${ms(p99)} ms, first ${ms(cold)} ms\n`);
  }

  // Over HTTP: a gateway on the same database (its start loads the graph).
  const config = loadConfig({ text: 'bundled_catalog: false\n', file: 'bench.yaml', env: {} });
  started = performance.now();
  const running = await startGateway({
    config,
    databaseUrl: sqliteUrl,
    port: 0,
    host: '127.0.0.1',
    masterKey: 'sk-agora-bench',
    logger: createLogger('error'),
  });
  const startMs = performance.now() - started;
  report.push(['gateway start with the graph', ms(startMs), '', '']);
  try {
    const paths = [
      ['HTTP: GET /api/v1/lineage/families', '/api/v1/lineage/families'],
      ['HTTP: GET /api/v1/lineage/{root}', `/api/v1/lineage/${big.root.toLowerCase()}`],
      ['HTTP: GET /api/v1/lineage/{deep node}', `/api/v1/lineage/${big.deep}`],
    ];
    for (const [name, path] of paths) {
      const call = async () => {
        const answer = await request(`${running.url}${path}`);
        if (answer.statusCode !== 200) throw new Error(`${path}: ${answer.statusCode}`);
        await answer.body.arrayBuffer();
      };
      for (let index = 0; index < 20; index++) await call();
      const samples = [];
      for (let index = 0; index < RUNS; index++) {
        const start = performance.now();
        await call();
        samples.push(performance.now() - start);
      }
      const { median, p99 } = stats(samples);
      worst = Math.max(worst, p99);
      report.push([name, ms(median), ms(p99), '']);
      process.stderr.write(`${name}: median ${ms(median)} ms, p99 ${ms(p99)} ms\n`);
    }
  } finally {
    await running.shutdown(1_000);
  }

  const widths = [Math.max(...report.map((row) => row[0].length)), 11, 8, 10];
  const line = (cells) => `| ${cells.map((cell, index) => String(cell).padEnd(widths[index])).join(' | ')} |`;
  console.log(
    `\n## bench:lineage — ${new Date().toISOString()} — node ${process.version}, ${SIZE.toLocaleString('en-US')}-derivative family, seed ${SEED}, ${RUNS} runs per query\n`,
  );
  console.log(
    [
      line(['step', 'ms (median)', 'ms (p99)', 'ms (first)']),
      `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
      ...report.map(line),
    ].join('\n'),
  );
  console.log(
    `\ngraph memory: ${heapMb.toFixed(1)} MB of heap for ${graph.size.toLocaleString('en-US')} nodes and ${graph.edgeCount.toLocaleString('en-US')} edges`,
  );
  console.log(`verdict: slowest lineage answer ${ms(worst)} ms (p99 or first call) — ${worst < 50 ? 'under' : 'OVER'} the 50 ms bar`);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
