#!/usr/bin/env node
// npm run bench:policy — what governance adds to one request: the client region (a trusted header),
// the gate (policies in scope for the key), Planner.plan with the gate removing refused endpoints,
// the x-agora-policy header and the audit record — against Planner.plan alone, on one model with
// 100 endpoints and 20 policies in scope (gateway, account and key). Pure CPU, in process: warm up,
// then time batches and report medians.
//   steady: the usual case — policies and region repeat, so each endpoint's verdict is memoised per
//           catalog snapshot and the per-request cost is a lookup per endpoint.
//   cold:   every request from a new region (memo miss): all 20 policies evaluated on all 100 endpoints.
import { loadConfig } from '../dist/config/load.js';
import { CatalogSnapshot } from '../dist/catalog/snapshot.js';
import { HealthRegistry } from '../dist/routing/health.js';
import { Planner } from '../dist/routing/plan.js';
import { StickyRoutes } from '../dist/routing/stickiness.js';
import { ClientRegionResolver } from '../dist/governance/client-region.js';
import { Governance } from '../dist/governance/gate.js';
import { createLogger } from '../dist/lib/logger.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:policy -- [--iterations N] [--batches B] [--endpoints E] [--policies P]
  --iterations N   requests per batch (default 20000)
  --batches B      timed batches per case; the median is reported (default 7)
  --endpoints E    endpoints of the model (default 100)
  --policies P     policies in scope of the key (default 20)
Bar: governance adds under 5 µs per request at 100 endpoints and 20 policies.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const ITERATIONS = option('--iterations', 20_000);
const BATCHES = option('--batches', 7);
const ENDPOINTS = option('--endpoints', 100);
const POLICIES = option('--policies', 20);
const COUNTRIES = ['US', 'DE', 'FR', 'SG', 'GB', 'NL', 'JP', 'CA', 'IE', 'SE'];

function catalog() {
  const providers = [];
  const endpoints = [];
  for (let index = 0; index < ENDPOINTS; index++) {
    const country = COUNTRIES[index % COUNTRIES.length];
    providers.push(
      `  p${index}:\n    base_url: http://127.0.0.1:9/v1\n    api_key_env: BENCH_KEY\n    jurisdiction: ${country}\n    datacenters: [${country}]\n` +
        `    data_policy: { trains_on_prompts: ${index % 3 === 1}, retention_days: ${index % 4}, zdr: ${index % 5 === 0} }` +
        (index % 7 === 0 ? '\n    refused_regions: [CN, HK, MO]' : ''),
    );
    endpoints.push(
      `      - { provider: p${index}, model: m, pricing: { prompt: ${(0.1 + (index % 17) * 0.05).toFixed(2)}, completion: ${(0.3 + (index % 13) * 0.1).toFixed(2)} }, context_length: 65536 }`,
    );
  }
  return `bundled_catalog: false
authors:
  bench: { country: US }
providers:
${providers.join('\n')}
models:
  bench/model:
    endpoints:
${endpoints.join('\n')}
`;
}

/** 20 policies of every kind, most of which pass most endpoints (so every one is evaluated). */
function policies() {
  const kinds = [
    { client_regions: { deny: ['KP', 'IR'] } },
    { provider_countries: { deny: ['KP'] } },
    { max_price: { prompt: 50, completion: 100 } },
    { deny_authors: ['nobody'] },
    { deny_author_countries: ['KP'] },
    { client_regions: { allow: ['US', 'EU', 'GB', 'JP'], unknown: 'allow' } },
    { provider_countries: { allow: COUNTRIES } },
    { datacenter_regions: { allow: COUNTRIES } },
    { applies_to: { providers: ['p1', 'p2', 'p3'] }, require_zdr: true },
    { applies_to: { models: ['other/model'] }, no_training: true },
  ];
  const out = [];
  for (let index = 0; index < POLICIES; index++) {
    const scope = index < POLICIES / 2 ? 'gateway' : index < (POLICIES * 3) / 4 ? 'account:acc1' : 'key:key1';
    out.push({ id: `p${index}`, scope, ...kinds[index % kinds.length] });
  }
  return out;
}

const config = loadConfig({ text: catalog(), file: 'bench.yaml', env: { BENCH_KEY: 'x' } });
const snapshot = new CatalogSnapshot(config);
const planner = new Planner(snapshot, new HealthRegistry(), new StickyRoutes(300_000));
const regions = await ClientRegionResolver.open({ header: 'x-client-region', trustedProxies: ['127.0.0.1/32'] });
let audited = 0;
const { policySchema } = await import('../dist/config/schema.js');
const governance = new Governance({
  configured: policies().map((item) => policySchema.parse(item)),
  regions,
  snapshot: () => snapshot,
  audit: () => audited++,
  logger: createLogger('error'),
});
const key = { id: 'key1', accountId: 'acc1', region: null };
const headers = { 'x-client-region': 'DE', 'content-type': 'application/json' };
const request = { modelIds: ['bench/model'], kind: 'chat', provider: undefined, maxTokens: 256, parameters: new Set(['max_tokens']) };

let sink = 0;
function plain() {
  const plan = planner.plan(request);
  sink += plan.attempts.length;
}
function governed() {
  const gate = governance.gate(headers, '127.0.0.1', key);
  const plan = planner.plan({ ...request, gate });
  sink += plan.attempts.length + gate.header.length;
  gate.allowed('bench/model');
}
// Regions the policies allow (policy kind 6 allows US, EU, GB and JP), so each plan admits endpoints.
const ALL = ['US', 'DE', 'FR', 'GB', 'NL', 'JP', 'IE', 'SE', 'ES', 'IT', 'PL', 'AT', 'BE', 'DK', 'FI', 'PT', 'CZ', 'GR', 'HU', 'RO'];
let cold = 0;
function governedCold() {
  // A region not seen before in this snapshot: forget the memo so every verdict is computed.
  const gate = governance.gateFor(ALL[cold++ % ALL.length], 'header', 'key1', 'acc1');
  governance['scopes'] = new Map();
  const fresh = governance.gateFor(gate.region, 'header', 'key1', 'acc1');
  const plan = planner.plan({ ...request, gate: fresh });
  sink += plan.attempts.length + fresh.header.length;
  fresh.allowed('bench/model');
}

function time(fn) {
  for (let index = 0; index < Math.min(ITERATIONS, 5_000); index++) fn();
  const results = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < ITERATIONS; index++) fn();
    results.push(Number(process.hrtime.bigint() - started) / 1000 / ITERATIONS);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)];
}

const probe = governance.gate(headers, '127.0.0.1', key);
const planned = planner.plan({ ...request, gate: probe });
console.log(
  `bench:policy — ${ENDPOINTS} endpoints, ${probe.applied.length} policies in scope (key1 in acc1), region ${probe.region}: ` +
    `${planned.attempts.length} endpoints admitted, ${planned.excluded.length} refused; ${ITERATIONS} requests × ${BATCHES} batches`,
);
const rows = [];
// Interleave to share machine noise between the baseline and the governed runs.
const base1 = time(plain);
const steady = time(governed);
const base2 = time(plain);
const coldTime = time(governedCold);
const base = (base1 + base2) / 2;
rows.push(['plan() alone (baseline)', base, 0]);
rows.push(['governed, steady (memo hit)', steady, steady - base]);
rows.push(['governed, cold (every verdict computed)', coldTime, coldTime - base]);
console.log('case'.padEnd(44) + 'µs/request'.padStart(12) + 'added µs'.padStart(12) + 'ratio'.padStart(8));
for (const [name, value, added] of rows) {
  console.log(name.padEnd(44) + value.toFixed(2).padStart(12) + added.toFixed(2).padStart(12) + (value / base).toFixed(2).padStart(8));
}
const added = steady - base;
console.log(`\nbar: governance adds ${added.toFixed(2)} µs per request (steady) — ${added < 5 ? 'under' : 'OVER'} the 5 µs bar`);
if (sink === 0 || audited === 0) console.log('(nothing planned?)');
