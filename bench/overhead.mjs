#!/usr/bin/env node
// npm run bench:overhead — what the gateway adds on top of a fast upstream, measured in one run
// against two references on the same machine: `direct` (nginx serving canned OpenAI answers) and
// `baseline` (a 40-line undici reverse proxy: what plain Node can do). Closed loop at 1 and 16
// connections (wrk), non-streaming and streaming, and an open loop at a fixed offered rate
// (probe.mjs, latency from the scheduled send time). Prints requests/s, p50/p99, added latency
// over direct, CPU µs per request and peak RSS, and the gateway/baseline ratios.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  benchConfig,
  bodyFor,
  freePort,
  log,
  measured,
  median,
  probe,
  requireTools,
  startNginx,
  startServer,
  stopAll,
  table,
  tempDir,
  wrk,
  serveArgs,
} from './lib.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:overhead -- [--duration S] [--warmup S] [--conns "1 16"] [--rate R] [--repeats N]
  --duration S   seconds per measurement (default 5)
  --warmup S     seconds of unmeasured load per target before measuring (default 2)
  --conns LIST   closed-loop connection counts (default "1 16")
  --rate R       open-loop offered rate, requests/s (default 200)
  --repeats N    repeat every measurement N times and report medians (default 1)
Needs wrk and nginx (apt-get install -y wrk nginx-light). Servers run on CPU 0, the load on CPU 1.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const DURATION = Number(option('--duration', '5'));
const WARMUP = Number(option('--warmup', '2'));
const CONNS = option('--conns', '1 16').split(/\s+/).map(Number);
const RATE = Number(option('--rate', '200'));
const REPEATS = Number(option('--repeats', '1'));
const MASTER = 'sk-agora-bench-master-0123456789abcdefghij';

requireTools();
const dir = tempDir('overhead');
const nginx = await startNginx();
const baselinePort = await freePort();
const baseline = await startServer('baseline (undici proxy)', process.execPath, [join(ROOT, 'bench/minimal-node-proxy.mjs')], {
  env: { PORT: String(baselinePort), UPSTREAM: nginx.url },
  url: `http://127.0.0.1:${baselinePort}/`,
});
const config = benchConfig(dir, nginx.url);
const database = `sqlite:${join(dir, 'agora.db')}`;
const created = execFileSync(process.execPath, [
  join(ROOT, 'bin/agora.js'),
  'keys',
  'create',
  '--name',
  'bench',
  '--credit',
  '1000000',
  '--db',
  database,
]).toString();
const benchKey = created.trim().split('\n').pop();
const gatewayPort = await freePort();
const gateway = await startServer('gateway (agora serve)', process.execPath, serveArgs({ config, database, port: gatewayPort }), {
  env: { AGORA_MASTER_KEY: MASTER },
  url: `http://127.0.0.1:${gatewayPort}/health`,
});

const chatPayload = join(ROOT, 'bench/payloads/chat-request.json');
const streamPayload = join(ROOT, 'bench/payloads/stream-request.json');
const targets = [
  {
    name: 'direct',
    pids: nginx.pids,
    chat: `${nginx.url}/v1/chat/completions`,
    stream: `${nginx.url}/stream/v1/chat/completions`,
    chatBody: chatPayload,
    streamBody: streamPayload,
    headers: 'Authorization: Bearer sk-bench',
  },
  {
    name: 'baseline',
    pids: [baseline.pid],
    chat: `http://127.0.0.1:${baselinePort}/v1/chat/completions`,
    stream: `http://127.0.0.1:${baselinePort}/stream/v1/chat/completions`,
    chatBody: chatPayload,
    streamBody: streamPayload,
    headers: 'Authorization: Bearer sk-bench',
  },
  // `gateway`: the request path without a ledger (the master key is not metered in credits): routing, auth,
  // validation, records. `gateway+ledger`: a prepaid key, so every answer also reserves credit and waits
  // for its charge's group commit before its last byte.
  {
    name: 'gateway',
    pids: [gateway.pid],
    chat: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
    stream: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
    chatBody: bodyFor(dir, 'chat-request.json', 'bench/chat'),
    streamBody: bodyFor(dir, 'stream-request.json', 'bench/stream'),
    headers: `Authorization: Bearer ${MASTER}`,
  },
  {
    name: 'gateway+ledger',
    pids: [gateway.pid],
    chat: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
    stream: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
    chatBody: bodyFor(dir, 'chat-request.json', 'bench/chat'),
    streamBody: bodyFor(dir, 'stream-request.json', 'bench/stream'),
    headers: `Authorization: Bearer ${benchKey}`,
  },
];

for (const target of targets) {
  log(`warm-up ${target.name}`);
  await wrk(target.chat, target.chatBody, target.headers, 16, WARMUP);
  await wrk(target.stream, target.streamBody, target.headers, 16, WARMUP);
}

const phases = [
  ...CONNS.map((connections) => ({
    name: `chat, ${connections} conn`,
    kind: 'chat',
    run: (target) => wrk(target.chat, target.chatBody, target.headers, connections, DURATION),
  })),
  ...CONNS.map((connections) => ({
    name: `stream, ${connections} conn`,
    kind: 'stream',
    run: (target) => wrk(target.stream, target.streamBody, target.headers, connections, DURATION),
  })),
  {
    name: `chat, open loop ${RATE}/s`,
    kind: 'rate',
    run: (target) => probe(target.chat, target.chatBody, target.headers, { rate: RATE, seconds: DURATION }),
  },
];
const results = {};
for (let repeat = 0; repeat < REPEATS; repeat++) {
  for (const phase of phases) {
    for (const target of targets) {
      const result = await measured(target.pids, () => phase.run(target));
      log(
        `${phase.name} ${target.name}: ${result.rps} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, ${result.cpu_us_per_req} µs CPU/req, errors ${result.errors}`,
      );
      ((results[phase.name] ??= {})[target.name] ??= []).push(result);
    }
  }
}
stopAll();

const pick = (phase, target, field) => median((results[phase]?.[target] ?? []).map((result) => result[field]));
console.log(
  `\n## bench:overhead — ${new Date().toISOString()} — node ${process.version}, ${DURATION}s per measurement, ${REPEATS} repeat(s)\n`,
);
for (const phase of phases) {
  const rows = targets.map((target) => {
    const p50 = pick(phase.name, target.name, 'p50_ms');
    const direct = pick(phase.name, 'direct', 'p50_ms');
    return [
      target.name,
      pick(phase.name, target.name, 'rps'),
      p50,
      pick(phase.name, target.name, 'p99_ms'),
      target.name === 'direct' || p50 === null ? '' : `+${(p50 - direct).toFixed(3)}`,
      pick(phase.name, target.name, 'cpu_us_per_req'),
      pick(phase.name, target.name, 'rss_mb'),
      pick(phase.name, target.name, 'errors'),
    ];
  });
  console.log(
    `### ${phase.name}\n${table(['target', 'req/s', 'p50 ms', 'p99 ms', 'added p50 ms', 'CPU µs/req', 'peak RSS MB', 'errors'], rows)}\n`,
  );
}
const top = Math.max(...CONNS);
const ratio = (phase, field, target = 'gateway') => {
  const gatewayValue = pick(phase, target, field);
  const baselineValue = pick(phase, 'baseline', field);
  return gatewayValue && baselineValue ? +(gatewayValue / baselineValue).toFixed(2) : null;
};
const ratePhase = `chat, open loop ${RATE}/s`;
const added = (target) => +(pick(ratePhase, target, 'p50_ms') - pick(ratePhase, 'direct', 'p50_ms')).toFixed(3);
const summary = {
  [`throughput gateway/baseline, chat ${top} conn`]: ratio(`chat, ${top} conn`, 'rps'),
  [`throughput gateway/baseline, stream ${top} conn`]: ratio(`stream, ${top} conn`, 'rps'),
  [`throughput gateway+ledger/baseline, chat ${top} conn`]: ratio(`chat, ${top} conn`, 'rps', 'gateway+ledger'),
  [`throughput gateway+ledger/baseline, stream ${top} conn`]: ratio(`stream, ${top} conn`, 'rps', 'gateway+ledger'),
  [`added p50 over direct at ${RATE}/s, baseline (ms)`]: added('baseline'),
  [`added p50 over direct at ${RATE}/s, gateway (ms)`]: added('gateway'),
  [`added p50 over direct at ${RATE}/s, gateway+ledger (ms)`]: added('gateway+ledger'),
  [`CPU per request gateway/baseline, chat ${top} conn`]: ratio(`chat, ${top} conn`, 'cpu_us_per_req'),
  'peak RSS gateway process (MB)': Math.max(
    ...Object.values(results).flatMap((byTarget) =>
      ['gateway', 'gateway+ledger'].map((name) => median((byTarget[name] ?? []).map((result) => result.rss_mb)) ?? 0),
    ),
  ),
};
console.log(`### ratios\n${table(['measure', 'value'], Object.entries(summary))}\n`);
const out = join(dir, 'results.json');
writeFileSync(out, JSON.stringify({ results, summary }, null, 2));
console.log(`results: ${out}`);
// A figure measured on error answers means nothing: say so loudly, and fail.
const failed = Object.entries(results).flatMap(([phase, byTarget]) =>
  Object.entries(byTarget)
    .filter(([, runs]) => runs.some((result) => result.errors > 0))
    .map(([target]) => `${phase} / ${target}`),
);
if (failed.length > 0) {
  console.error(`\nERROR: requests failed during ${failed.join(', ')}; the figures above are not valid.`);
  process.exit(1);
}
process.exit(0);
