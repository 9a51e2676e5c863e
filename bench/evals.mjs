#!/usr/bin/env node
// npm run bench:evals — the benchmark runner's own overhead per item at concurrency 32. A scripted
// host answers every arithmetic question after a fixed delay (the "upstream time"); the runner asks
// N items of a GSM8K-format suite (a) straight at that host and (b) through a gateway in front of it
// (routing, metering, the ledger and records on), storing every item in SQLite as it does for real.
// Reported per item: latency the runner saw, CPU (runner + gateway in this one process), wall time,
// and the parts measured alone: scoring (extract + score) and storing an item.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/main.js';
import { createLogger } from '../dist/lib/logger.js';
import { openStore } from '../dist/store/index.js';
import { loadSuite } from '../dist/evals/formats/index.js';
import { runSuite } from '../dist/evals/runner.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:evals -- [--items N] [--concurrency C] [--upstream-ms MS] [--repeats R]
  --items N         items per run (default 1000)
  --concurrency C   calls in flight (default 32)
  --upstream-ms MS  the host's time per answer (default 20)
  --repeats R       runs per variant, interleaved; medians reported (default 3)
Everything runs in this process on loopback (the runner, the gateway and the host).`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const ITEMS = option('--items', 1000);
const CONCURRENCY = option('--concurrency', 32);
const UPSTREAM_MS = option('--upstream-ms', 20);
const REPEATS = option('--repeats', 3);
const MASTER = 'sk-agora-bench-master-0123456789abcdefghij';

const dir = mkdtempSync(join(tmpdir(), 'agora-bench-evals-'));
const suiteFile = join(dir, 'sums.jsonl');
const lines = [];
for (let index = 0; index < ITEMS; index++) {
  const a = 10 + ((index * 7919) % 900);
  const b = 10 + ((index * 104729) % 900);
  lines.push(JSON.stringify({ question: `What is ${a} + ${b}?`, answer: `#### ${a + b}` }));
}
writeFileSync(suiteFile, `${lines.join('\n')}\n`);

const host = createServer((request, response) => {
  const parts = [];
  request.on('data', (part) => parts.push(part));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    const question = body.messages.at(-1).content;
    const match = /What is (\d+) \+ (\d+)\?/.exec(question);
    const answer = match ? Number(match[1]) + Number(match[2]) : 0;
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-bench',
          object: 'chat.completion',
          created: 1_718_000_000,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `Adding them up. Answer: ${answer}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 120, completion_tokens: 8, total_tokens: 128 },
        }),
      );
    }, UPSTREAM_MS);
  });
});
await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
const hostUrl = `http://127.0.0.1:${host.address().port}`;

const yaml = `bundled_catalog: false
providers:
  host: { base_url: ${hostUrl}/v1, api_key_env: BENCH_KEY }
models:
  bench/solver:
    endpoints:
      - { provider: host, model: solver, pricing: { prompt: 0.5, completion: 1.5 } }
`;
const running = await startGateway({
  config: loadConfig({ text: yaml, file: 'bench.yaml', env: { BENCH_KEY: 'sk-bench' } }),
  databaseUrl: `sqlite:${join(dir, 'gateway.db')}`,
  port: 0,
  host: '127.0.0.1',
  masterKey: MASTER,
  logger: createLogger('error'),
});
const store = await openStore(`sqlite:${join(dir, 'results.db')}`);
const { suite, source } = await loadSuite('gsm8k', suiteFile);

let seed = 0;
async function once(gatewayUrl) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runSuite({
    gatewayUrl,
    apiKey: MASTER,
    suite,
    source,
    model: 'bench/solver',
    concurrency: CONCURRENCY,
    repeats: 1,
    temperature: 0,
    seed: seed++,
    store: store.evals,
  });
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (result.totals.n !== ITEMS || result.totals.correct !== ITEMS)
    throw new Error(`run incomplete or wrong: ${JSON.stringify(result.totals)}`);
  const items = await store.evals.items(result.run.id);
  const latencies = items.map((item) => item.latency_ms).sort((a, b) => a - b);
  return {
    wallPerItem: wall / ITEMS,
    cpuPerItem: (used.user + used.system) / ITEMS,
    latencyP50: latencies[Math.floor(latencies.length / 2)],
    latencyP99: latencies[Math.floor(latencies.length * 0.99)],
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `bench:evals — ${ITEMS} items at concurrency ${CONCURRENCY}, host answers in ${UPSTREAM_MS} ms; ${REPEATS} runs per variant, interleaved`,
);
await once(hostUrl); // warm-up
await once(running.url);
const direct = [];
const gateway = [];
for (let repeat = 0; repeat < REPEATS; repeat++) {
  direct.push(await once(hostUrl));
  gateway.push(await once(running.url));
}

// The parts alone: scoring every stored answer, and storing an item.
const sample = suite.items.slice(0, 1000);
let t = performance.now();
for (let round = 0; round < 20; round++) {
  for (const item of sample) {
    const answer = `Adding them up. Answer: ${item.reference.answer}`;
    await suite.score(suite.extract(answer, item), item, answer);
  }
}
const scoringUs = ((performance.now() - t) * 1000) / (20 * sample.length);
const insertRun = `run_bench_insert`;
await store.evals.createRun({
  id: insertRun,
  suite: 'gsm8k',
  source,
  model: 'x',
  provider: null,
  status: 'running',
  temperature: 0,
  seed: null,
  repeats: 1,
  item_limit: null,
  items_total: 1000,
  template: '',
  purpose: 'bench-insert',
  wall_ms: 0,
  created_at: Date.now(),
  updated_at: Date.now(),
});
t = performance.now();
for (let index = 0; index < 1000; index++) {
  await store.evals.insertItem({
    run_id: insertRun,
    item_id: String(index),
    repeat: 0,
    prompt: sample[index % sample.length].prompt,
    answer: 'Answer: 1',
    extracted: '1',
    correct: 1,
    detail: null,
    error: null,
    prompt_tokens: 120,
    completion_tokens: 8,
    cost_usd: 0.00007,
    latency_ms: 21,
    provider: 'host',
    created_at: Date.now(),
  });
}
const insertUs = ((performance.now() - t) * 1000) / 1000;

const row = (name, runs) => {
  const wall = median(runs.map((run) => run.wallPerItem));
  const cpu = median(runs.map((run) => run.cpuPerItem));
  const p50 = median(runs.map((run) => run.latencyP50));
  const p99 = median(runs.map((run) => run.latencyP99));
  return { name, wall, cpu, p50, p99 };
};
const a = row('runner → host (no gateway)', direct);
const b = row('runner → gateway → host', gateway);
console.log(
  '\nvariant'.padEnd(34) + 'wall ms/item'.padStart(14) + 'CPU µs/item'.padStart(13) + 'latency p50'.padStart(13) + 'p99'.padStart(9),
);
for (const r of [a, b]) {
  console.log(
    r.name.padEnd(33) +
      r.wall.toFixed(3).padStart(14) +
      r.cpu.toFixed(0).padStart(13) +
      r.p50.toFixed(2).padStart(13) +
      r.p99.toFixed(2).padStart(9),
  );
}
const ideal = UPSTREAM_MS / CONCURRENCY;
console.log(`\nupstream time per item at concurrency ${CONCURRENCY}: ${ideal.toFixed(3)} ms (${UPSTREAM_MS} ms / ${CONCURRENCY})`);
console.log(
  `runner's own overhead per item: ${(a.wall - ideal).toFixed(3)} ms wall (${((a.wall / ideal - 1) * 100).toFixed(1)}% over the upstream), ${a.cpu.toFixed(0)} µs CPU`,
);
console.log(
  `with the gateway: ${(b.wall - ideal).toFixed(3)} ms wall per item (${((b.wall / ideal - 1) * 100).toFixed(1)}% over the upstream), latency +${(b.p50 - a.p50).toFixed(2)} ms p50, CPU ${b.cpu.toFixed(0)} µs (${(b.cpu / a.cpu).toFixed(2)}× the runner alone)`,
);
console.log(`parts: scoring ${scoringUs.toFixed(1)} µs per item, storing an item ${insertUs.toFixed(0)} µs (SQLite)`);

await running.shutdown(1000);
await store.close();
host.close();
rmSync(dir, { recursive: true, force: true });
