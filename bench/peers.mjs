#!/usr/bin/env node
// npm run bench:peers — the shared side-by-side harness (../shared/bench/run-peers.sh: nginx direct,
// nginx proxy_pass, a plain undici proxy, Portkey's gateway from the npm registry) with Agora added
// as a target, the whole product on: auth with a prepaid key (credit reserved, the ledger charge
// group-committed before each answer closes), routing, records. Every figure is printed as a ratio
// against the plain undici proxy (node_min) measured in the same run. shared/ is read-only, so the
// harness is copied to a temporary folder first.
import { chmodSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH, LOAD_CPU, ROOT, benchConfig, freePort, log, startServer, stopAll, tempDir, serveArgs } from './lib.mjs';
import { parseResults, report as barsReport } from './peers-bars.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:peers -- [--quick] [--postgres URL] [--no-floor]
  --quick          one repeat, 2 s per measurement, 1 and 16 connections, 200 req/s (a smoke run)
  --postgres URL   Agora on PostgreSQL instead of SQLite
  --no-floor       leave out node_settled (bench/settled-node-proxy.mjs: the plain proxy plus the
                   settlement rule alone, the floor under the contract; by default measured too, judged
                   by the same bars, and Agora's figures shown against it)
  Harness knobs pass through the environment (REPEATS, DURATION, CONNS, RATES, PHASES, START …; see
  ../shared/bench/run-peers.sh). Needs wrk, nginx-light and libnginx-mod-http-echo (apt-get install -y
  wrk nginx-light libnginx-mod-http-echo) and the npm registry (Portkey's gateway). Servers run on CPU 0,
  the load on CPU 1; the report is ratios against the plain undici proxy (node_min). Agora runs with its
  telemetry on: every request traced and exported over OTLP to a receiver, /metrics scraped every second
  (bench/telemetry-sink.mjs, on the load core); the report ends with what the receiver and scraper got,
  then the bars of issue 16 per repeat (bench/peers-bars.mjs; a figure the host's CPU steal disturbed
  is shown but counted neither as met nor as missed), then the same for the floor.`);
  process.exit(0);
}
const option = (name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const SHARED = join(ROOT, '..', 'shared', 'bench');
if (!existsSync(join(SHARED, 'run-peers.sh'))) {
  console.error(`bench:peers needs the shared harness at ${SHARED}`);
  process.exit(2);
}
const dir = tempDir('peers');
chmodSync(dir, 0o755); // nginx's workers run as an unprivileged user and must read the harness's static files
const harness = join(dir, 'harness');
cpSync(SHARED, harness, { recursive: true });
log(`harness copied to ${harness}`);

const upstream = 'http://127.0.0.1:18080';
const config = benchConfig(dir, upstream, { drip: true });
// Telemetry on, as an operator runs it: every request traced (sample_ratio 1) and exported over OTLP
// to a receiver, /metrics scraped every second; both on the load core (bench/telemetry-sink.mjs).
const otlpPort = await freePort();
writeFileSync(config, `${readFileSync(config, 'utf8')}telemetry:\n  otlp_endpoint: http://127.0.0.1:${otlpPort}\n  sample_ratio: 1\n`);
const database = option('--postgres') ?? `sqlite:${join(dir, 'agora.db')}`;
const created = execFileSync(process.execPath, [
  join(ROOT, 'bin/agora.js'),
  'keys',
  'create',
  '--name',
  'peers',
  '--credit',
  '1000000',
  '--db',
  database,
]).toString();
const key = created.trim().split('\n').pop();
const port = await freePort();
const gateway = await startServer('agora serve', process.execPath, serveArgs({ config, database, port }), {
  env: { AGORA_MASTER_KEY: 'sk-agora-bench-master-0123456789abcdefghij' },
  url: `http://127.0.0.1:${port}/health`,
});

// The floor under the contract (bench/settled-node-proxy.mjs): node_min plus the settlement rule
// alone (each answer's last byte waits for its ledger row's group commit), to read how much of
// Agora's gap to node_min the rule costs any gateway and how much is Agora's own work.
const settledPort = await freePort();
const settled = args.includes('--no-floor')
  ? undefined
  : await startServer('node_settled', process.execPath, [join(BENCH, 'settled-node-proxy.mjs')], {
      env: { PORT: String(settledPort), UPSTREAM: upstream, DB: join(dir, 'settled.db') },
      url: `http://127.0.0.1:${settledPort}/`,
    });

const sink = spawn(
  'taskset',
  ['-c', LOAD_CPU, process.execPath, join(BENCH, 'telemetry-sink.mjs'), String(otlpPort), `http://127.0.0.1:${port}/metrics`],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let sinkOut = '';
sink.stdout.on('data', (data) => {
  sinkOut += data;
});
const quick = args.includes('--quick') ? { REPEATS: '1', DURATION: '2', WARMUP: '1', CONNS: '1 16', RATES: '200' } : {};
const runDir = join(dir, 'run');
const env = {
  ...process.env,
  ...quick,
  RUN_DIR: runDir,
  EXTRA_TARGETS: `agora=http://127.0.0.1:${port}${settled ? ` node_settled=http://127.0.0.1:${settledPort}` : ''}`,
  PID_agora: String(gateway.pid),
  ...(settled
    ? {
        PID_node_settled: String(settled.pid),
        STREAM_PATH_node_settled: '/stream/v1/chat/completions',
        DRIP_PATH_node_settled: '/drip/v1/chat/completions',
      }
    : {}),
  HDRS_agora: `Authorization: Bearer ${key}`,
  CHAT_MODEL_agora: 'bench/chat',
  STREAM_MODEL_agora: 'bench/stream',
  DRIP_MODEL_agora: 'bench/drip',
};
log('running the harness (this takes minutes; its own progress follows)');
const result = spawnSync('bash', [join(harness, 'run-peers.sh')], { env, stdio: 'inherit', cwd: harness });
// what the gateway's telemetry did during the run (spans it exported, scrapes it answered)
const sinkDone = new Promise((resolve) => sink.once('exit', resolve));
sink.kill('SIGTERM');
await sinkDone;
const telemetryLine = sinkOut.split('\n').find((line) => line.startsWith('TELEMETRYJSON '));
const telemetry = telemetryLine ? JSON.parse(telemetryLine.slice('TELEMETRYJSON '.length)) : undefined;
await stopAll();
if (result.status !== 0) {
  console.error(`the harness failed (exit ${result.status}); see ${runDir}`);
  process.exit(1);
}
const report = spawnSync(process.execPath, [join(harness, 'report.mjs'), join(runDir, 'results.jsonl')], {
  env: { ...process.env, BASELINE: 'node_min' },
  encoding: 'utf8',
});
const telemetryNote = telemetry
  ? `Agora's telemetry during the run: ${telemetry.spans} spans received over OTLP in ${telemetry.exports} exports (sample_ratio 1), /metrics scraped ${telemetry.scrapes} times (${telemetry.series} series in the last scrape, ${telemetry.scrapeErrors} failed scrapes).\n`
  : 'the telemetry sink gave no summary\n';
console.log('\n## Ratios against the plain undici proxy (node_min), same run\n');
console.log(report.stdout);
console.log(telemetryNote);
const bars = barsReport(parseResults(readFileSync(join(runDir, 'results.jsonl'), 'utf8')));
console.log(bars);
writeFileSync(join(dir, 'report.md'), `${report.stdout}\n${telemetryNote}\n${bars}`);
log(`report: ${join(dir, 'report.md')}; raw results: ${join(runDir, 'results.jsonl')}`);
