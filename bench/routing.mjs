#!/usr/bin/env node
// npm run bench:routing — the cost of choosing endpoints for one request (Planner.plan: filters,
// health split, ordering, stickiness) with 1, 10 and 100 endpoints per model, in three request
// shapes. Pure CPU, in process: warm up, then time batches and report the median per plan().
import { loadConfig } from '../dist/config/load.js';
import { CatalogSnapshot } from '../dist/catalog/snapshot.js';
import { HealthRegistry } from '../dist/routing/health.js';
import { Planner } from '../dist/routing/plan.js';
import { StickyRoutes, conversationKey } from '../dist/routing/stickiness.js';
import { estimatePromptTokens } from '../dist/lib/token-estimate.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:routing -- [--iterations N] [--batches B]
  --iterations N   plan() calls per batch (default 20000)
  --batches B      timed batches per case; the median is reported (default 7)
Bar: under 20 µs per request with 100 endpoints per model.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const ITERATIONS = option('--iterations', 20_000);
const BATCHES = option('--batches', 7);
const QUANTS = ['fp8', 'bf16', 'int4', 'fp16'];

function catalogWith(count) {
  const providers = [];
  const endpoints = [];
  for (let index = 0; index < count; index++) {
    providers.push(
      `  p${index}:\n    base_url: http://127.0.0.1:9/v1\n    api_key_env: BENCH_KEY\n    data_policy: { trains_on_prompts: ${index % 3 === 1}, retention_days: ${index % 4} }`,
    );
    endpoints.push(
      `      - { provider: p${index}, model: m, pricing: { prompt: ${(0.1 + (index % 17) * 0.05).toFixed(2)}, completion: ${(0.3 + (index % 13) * 0.1).toFixed(2)} }, context_length: ${32768 * (1 + (index % 4))}, quantization: ${QUANTS[index % 4]} }`,
    );
  }
  const yaml = `bundled_catalog: false\nproviders:\n${providers.join('\n')}\nmodels:\n  bench/model:\n    endpoints:\n${endpoints.join('\n')}\n`;
  return new CatalogSnapshot(loadConfig({ text: yaml, file: 'bench.yaml', env: { BENCH_KEY: 'x' } }));
}

const messages = [
  { role: 'system', content: 'You are a concise assistant. '.repeat(20) },
  { role: 'user', content: 'In two sentences, what does load testing an LLM gateway measure?' },
  { role: 'assistant', content: 'It measures latency, throughput and errors under load.' },
];
const tools = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];
const shapes = {
  'default (inverse-square price, stickiness)': { body: { model: 'bench/model', messages }, provider: undefined },
  'sort: throughput': { body: { model: 'bench/model', messages }, provider: { sort: 'throughput' } },
  'filters (max_price, quantizations, data_collection, require_parameters + tools)': {
    body: { model: 'bench/model', messages, tools, temperature: 0.2 },
    provider: {
      max_price: { prompt: 0.6, completion: 1.2 },
      quantizations: ['fp8', 'bf16'],
      data_collection: 'deny',
      require_parameters: true,
    },
  },
};

function timeCase(planner, shape) {
  const request = () => {
    const promptTokensEstimate = estimatePromptTokens(shape.body.messages, shape.body.tools);
    return planner.plan({
      modelIds: ['bench/model'],
      kind: 'chat',
      provider: shape.provider,
      body: shape.body,
      promptTokensEstimate,
      maxTokens: 256,
      conversation: () => conversationKey('key_bench', 'bench/model', shape.body.messages),
    });
  };
  for (let index = 0; index < ITERATIONS; index++) request(); // warm-up
  const perCall = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const start = process.hrtime.bigint();
    for (let index = 0; index < ITERATIONS; index++) request();
    perCall.push(Number(process.hrtime.bigint() - start) / ITERATIONS / 1000);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)];
}

const rows = [];
let worstAtHundred = 0;
for (const count of [1, 10, 100]) {
  const catalog = catalogWith(count);
  const health = new HealthRegistry();
  const now = Date.now();
  for (const endpoint of catalog.get('bench/model').endpoints) {
    const entry = health.get(endpoint.key);
    for (let sample = 0; sample < 50; sample++) entry.success(now, 200 + (sample % 7) * 30, 40 + (endpoint.key.length % 9) * 5);
  }
  const planner = new Planner(catalog, health, new StickyRoutes(300_000));
  for (const [name, shape] of Object.entries(shapes)) {
    const micros = timeCase(planner, shape);
    if (count === 100) worstAtHundred = Math.max(worstAtHundred, micros);
    rows.push([count, name, micros.toFixed(2), Math.round(1e6 / micros).toLocaleString('en-US')]);
    process.stderr.write(`${count} endpoints, ${name}: ${micros.toFixed(2)} µs\n`);
  }
}
const widths = [9, Math.max(...rows.map((row) => row[1].length)), 12, 14];
const line = (cells) => `| ${cells.map((cell, index) => String(cell).padEnd(widths[index])).join(' | ')} |`;
console.log(`\n## bench:routing — ${new Date().toISOString()} — node ${process.version}, median of ${BATCHES} batches × ${ITERATIONS}\n`);
console.log(
  [
    line(['endpoints', 'request shape', 'µs per plan', 'plans per s']),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n'),
);
console.log(
  `\nverdict: worst case at 100 endpoints ${worstAtHundred.toFixed(2)} µs per request — ${worstAtHundred < 20 ? 'under' : 'OVER'} the 20 µs bar`,
);
