#!/usr/bin/env node
// npm run bench:compare -- --against DIR — two builds of the gateway side by side on one nginx:
// A (another checkout, e.g. `git worktree add /tmp/a <rev> && (cd /tmp/a && npm ci && npm run build)`)
// and B (this tree), the same load interleaved round by round (A first in even rounds, B first in
// odd ones), so drift on the machine falls on both. Prints medians and B/A for each variant.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
  startTelemetrySink,
  stopAll,
  tempDir,
  wrk,
  serveArgs,
} from './lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
if (args.includes('--help') || !args.includes('--against')) {
  console.log(`usage: npm run bench:compare -- --against DIR [--rounds N] [--conns N] [--probe] [--tracing] [--variants chat:master,chat:ledger,stream:master,stream:ledger] [--postgres URL]
  --against DIR  a checkout of the gateway with dist/ built (A); this tree is B
  --rounds N     interleaved rounds of 5 s per variant and build (default 6)
  --conns N      closed-loop connections (default 16; 1 shows per-request latency, where nothing batches)
  --probe        load from bench/probe.mjs instead of wrk (slower, but it times the first body byte too:
                 the table gains TTFB p50, time to first token for streams)
  --tracing      both gateways trace every request and export over OTLP to one receiver on the load core
  --variants     kind:auth pairs; auth "master" is unmetered, "ledger" a prepaid key (default all four)
  --postgres URL both gateways on this PostgreSQL, each in a fresh schema of its own (default: SQLite files)
Needs wrk and nginx (apt-get install -y wrk nginx-light).`);
  process.exit(args.includes('--help') ? 0 : 2);
}
const against = resolve(option('--against'));
if (!existsSync(join(against, 'dist/main.js'))) {
  console.error(`${against} has no dist/main.js: build it first (npm run build there).`);
  process.exit(2);
}
requireTools();
const MASTER = 'sk-agora-bench-master-0123456789abcdefghij';
const dir = tempDir('ab');
const nginx = await startNginx();
const config = benchConfig(dir, nginx.url);
const sink = args.includes('--tracing') ? await startTelemetrySink(config) : undefined;
const postgres = option('--postgres');
const run = Date.now().toString(36);
const gateways = {};
for (const [name, root] of [
  ['A', against],
  ['B', ROOT],
]) {
  const database = postgres
    ? `${postgres}${postgres.includes('?') ? '&' : '?'}schema=bench_compare_${run}_${name.toLowerCase()}`
    : `sqlite:${join(dir, `${name}.db`)}`;
  const key = execFileSync(process.execPath, [
    join(root, 'bin/agora.js'),
    'keys',
    'create',
    '--name',
    'b',
    '--credit',
    '100000',
    '--db',
    database,
  ])
    .toString()
    .trim()
    .split('\n')
    .pop();
  const port = await freePort();
  const server = await startServer(`gateway ${name}`, process.execPath, serveArgs({ config, database, port, root }), {
    env: { AGORA_MASTER_KEY: MASTER },
    url: `http://127.0.0.1:${port}/health`,
  });
  gateways[name] = { pid: server.pid, url: `http://127.0.0.1:${port}/v1/chat/completions`, key };
}
const bodies = { chat: bodyFor(dir, 'chat-request.json', 'bench/chat'), stream: bodyFor(dir, 'stream-request.json', 'bench/stream') };
const variants = option('--variants', 'chat:master,chat:ledger,stream:master,stream:ledger')
  .split(',')
  .map((variant) => variant.split(':'));
const results = {};
const CONNS = Number(option('--conns', '16'));
const PROBE = args.includes('--probe');
const load = (gateway, kind, auth, seconds) => {
  const headers = `Authorization: Bearer ${auth === 'master' ? MASTER : gateway.key}`;
  return PROBE
    ? probe(gateway.url, bodies[kind], headers, { connections: CONNS, seconds, expect: kind === 'chat' ? 'json' : 'sse' })
    : wrk(gateway.url, bodies[kind], headers, CONNS, seconds);
};
for (const name of ['A', 'B'])
  for (const [kind, auth] of variants) {
    const gateway = gateways[name];
    await load(gateway, kind, auth, 2);
  }
const ROUNDS = Number(option('--rounds', '6'));
for (let round = 0; round < ROUNDS; round++) {
  for (const [kind, auth] of variants) {
    for (const name of round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const gateway = gateways[name];
      const result = await measured([gateway.pid], () => load(gateway, kind, auth, 5));
      log(
        `${kind} ${auth} ${name}: ${result.rps} req/s, p50 ${result.p50_ms} ms${PROBE ? `, TTFB p50 ${result.ttfb_p50_ms} ms` : ''}, ${result.cpu_us_per_req} µs/req, errors ${result.errors}`,
      );
      ((results[`${kind} ${auth}`] ??= {})[name] ??= []).push(result);
    }
  }
}
stopAll();
sink?.kill('SIGTERM');
const ttfb = PROBE ? ' A TTFB ms | B TTFB ms |' : '';
console.log(`\n| variant (${CONNS} conn) | A req/s | B req/s | B/A | A p50 ms | B p50 ms |${ttfb} A µs/req | B µs/req | errors |`);
console.log(`|---|---|---|---|---|---|${PROBE ? '---|---|' : ''}---|---|---|`);
for (const [variant, byName] of Object.entries(results)) {
  const m = (n, f) => median(byName[n].map((r) => r[f]));
  console.log(
    `| ${variant} | ${m('A', 'rps')} | ${m('B', 'rps')} | ${(m('B', 'rps') / m('A', 'rps')).toFixed(3)} | ${m('A', 'p50_ms')} | ${m('B', 'p50_ms')} |${PROBE ? ` ${m('A', 'ttfb_p50_ms')} | ${m('B', 'ttfb_p50_ms')} |` : ''} ${m('A', 'cpu_us_per_req')} | ${m('B', 'cpu_us_per_req')} | ${Math.max(...byName.A.map((run) => run.errors), ...byName.B.map((run) => run.errors))} |`,
  );
}
process.exit(0);
