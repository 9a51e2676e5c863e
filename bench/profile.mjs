#!/usr/bin/env node
// npm run bench:profile — where the gateway's CPU goes under load. Starts nginx (the fast fake
// upstream) and `agora serve` with --cpu-prof, drives one kind of traffic with wrk for a few
// seconds, stops the gateway so V8 writes the profile, and prints the functions with the most
// self time (and the files and packages they live in), as a share of all samples.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH,
  ROOT,
  benchConfig,
  createKey,
  freePort,
  log,
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
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:profile -- [--kind chat|stream] [--auth ledger|master] [--seconds N] [--connections N] [--top N] [--postgres URL] [--tracing] [--rate R] [--interval US] [--floor]
  --kind         chat (a JSON answer, default) or stream (20 SSE chunks at once)
  --auth         ledger: a prepaid key, so every answer is charged (default); master: unmetered
  --seconds      seconds of profiled load after 2 s of warm-up (default 5)
  --connections  wrk connections (default 16)
  --top          rows printed (default 40)
  --postgres     run the gateway on this PostgreSQL URL instead of a fresh SQLite file
  --tracing      every request traced and exported over OTLP to a receiver on the load core
  --interval US  V8's sampling interval in µs (default 250; 20–50 to see short windows at one connection)
  --rate R       open loop instead of wrk: R requests/s scheduled (bench/probe.mjs, up to 64 sockets):
                 where a lightly loaded gateway spends its time (read the µs per request column)
  --floor        profile node_settled (bench/settled-node-proxy.mjs, the floor under the contract)
                 instead of the gateway, under the same load: its rows beside the gateway's show
                 what is the gateway's own work (--auth, --postgres and --tracing do not apply)
Prints self time by function, by file and by package, each as a share of the samples and in µs per
request (samples × interval / requests: CPU time when the gateway is busy, idle included under
--rate); the raw .cpuprofile stays in the temp folder for Chrome DevTools. Needs wrk and nginx (apt-get install -y wrk nginx-light).`);
  process.exit(0);
}
const kind = option('--kind', 'chat');
const auth = option('--auth', 'ledger');
const seconds = Number(option('--seconds', '5'));
const connections = Number(option('--connections', '16'));
const top = Number(option('--top', '40'));
const rate = Number(option('--rate', '0'));
const PROFILE_INTERVAL_US = Number(option('--interval', '250'));
const floor = args.includes('--floor');
if (!['chat', 'stream'].includes(kind) || !['ledger', 'master'].includes(auth)) {
  console.error('--kind is chat or stream; --auth is ledger or master');
  process.exit(2);
}
if (!Number.isInteger(PROFILE_INTERVAL_US) || PROFILE_INTERVAL_US < 1) {
  console.error(`--interval is a whole number of microseconds, at least 1 (got ${option('--interval')})`);
  process.exit(2);
}
requireTools();
const MASTER = 'sk-agora-bench-master-0123456789abcdefghij';
const dir = tempDir('profile');
const nginx = await startNginx();
const config = benchConfig(dir, nginx.url);
const sink = args.includes('--tracing') ? await startTelemetrySink(config) : undefined;
const database = option('--postgres') ?? `sqlite:${join(dir, 'agora.db')}`;
let key = MASTER;
if (auth === 'ledger' && !floor) {
  key = createKey(database, { name: 'profile' });
}
const profiles = join(dir, 'prof');
const port = await freePort();
const spawned = performance.now();
const profiling = ['--cpu-prof', `--cpu-prof-dir=${profiles}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`];
const gateway = floor
  ? await startServer('node_settled', process.execPath, [...profiling, join(BENCH, 'settled-node-proxy.mjs')], {
      env: { PORT: String(port), UPSTREAM: nginx.url, DB: join(dir, 'settled.db') },
      url: `http://127.0.0.1:${port}/`,
    })
  : await startServer('agora serve', process.execPath, serveArgs({ config, database, port, nodeFlags: profiling }), {
      env: { AGORA_MASTER_KEY: MASTER },
      url: `http://127.0.0.1:${port}/health`,
    });
const body = join(dir, 'body.json');
writeFileSync(
  body,
  JSON.stringify({
    model: kind === 'chat' ? 'bench/chat' : 'bench/stream',
    messages: [{ role: 'user', content: 'In two sentences, what does load testing an LLM gateway measure?' }],
    max_tokens: 128,
    stream: kind === 'stream',
  }),
);
// the floor forwards paths as they are: nginx answers chat on /v1 and streams on /stream/v1
const url = `http://127.0.0.1:${port}${floor && kind === 'stream' ? '/stream' : ''}/v1/chat/completions`;
const headers = `Authorization: Bearer ${key}`;
const load = (duration) =>
  rate > 0
    ? probe(url, body, headers, { rate, connections: 64, seconds: duration, expect: kind === 'chat' ? 'json' : 'sse' })
    : wrk(url, body, headers, connections, duration);
log(`warm-up 2 s, then ${seconds} s of ${kind} at ${rate > 0 ? `${rate} req/s (open loop)` : `${connections} connections`} (auth ${auth})`);
await load(2);
const measuredFrom = (performance.now() - spawned) * 1000; // µs after the gateway's start ≈ the profile's start
const result = await load(seconds);
log(`${result.requests} requests, ${result.errors} errors; stopping the gateway so it writes its profile`);
// how the writers batched (a group commit's size decides what each charge costs the database)
const batching = floor ? 'node_settled: one ledger row per answer, group-committed' : await writerBatching();
await new Promise((resolve) => {
  gateway.once('exit', resolve);
  gateway.kill('SIGINT');
});
stopAll();
sink?.kill('SIGTERM');

const file = readdirSync(profiles).find((name) => name.endsWith('.cpuprofile'));
if (!file) {
  console.error(`no profile written in ${profiles}`);
  process.exit(1);
}
const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
// only the samples of the measured load: start-up and warm-up (module loading, compiling) left out
const self = new Map();
let at = 0;
let total = 0;
profile.samples.forEach((id, index) => {
  at += profile.timeDeltas[index];
  if (at < measuredFrom || at > measuredFrom + seconds * 1e6) return;
  self.set(id, (self.get(id) ?? 0) + 1);
  total++;
});
const rows = { fn: new Map(), file: new Map(), pkg: new Map(), inclusive: new Map() };
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const label = (node) => {
  const { functionName, url: source, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}  ${source.replace(`file://${ROOT}/`, '')}:${lineNumber + 1}`;
};
const add = (map, name, count) => map.set(name, (map.get(name) ?? 0) + count);
for (const [id, count] of self) {
  const { functionName, url: source, lineNumber } = byId.get(id).callFrame;
  const short = source.replace(`file://${ROOT}/`, '').replace(/^node:/, 'node:');
  const pkg = short.startsWith('node_modules/')
    ? short
        .split('/')
        .slice(1, short.split('/')[1].startsWith('@') ? 3 : 2)
        .join('/')
    : short.startsWith('dist/')
      ? 'agora'
      : short.startsWith('node:')
        ? 'node (internal)'
        : short || functionName;
  add(rows.fn, `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`, count);
  add(rows.file, short || `(${functionName})`, count);
  add(rows.pkg, pkg, count);
  // inclusive: every distinct function on the sample's stack
  const seen = new Set();
  for (let node = id; node !== undefined; node = parent.get(node)) {
    const name = label(byId.get(node));
    if (!seen.has(name)) seen.add(name);
  }
  for (const name of seen) add(rows.inclusive, name, count);
}
const print = (title, map, limit) => {
  console.log(`\n### ${title}\n`);
  for (const [name, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit))
    console.log(
      `${((100 * count) / total).toFixed(1).padStart(5)}%  ${((count * PROFILE_INTERVAL_US) / result.requests).toFixed(1).padStart(7)} µs  ${name}`,
    );
};
console.log(
  `\n${floor ? 'node_settled, ' : ''}${kind}, auth ${auth}${sink ? ', tracing on' : ''}, ${rate > 0 ? `${rate} req/s offered` : `${connections} connections`}: ${(result.requests / seconds).toFixed(0)} req/s; ${total} samples of ${PROFILE_INTERVAL_US} µs; each row as a share of the samples and in µs per request`,
);
console.log(batching);
print('self time by package', rows.pkg, 12);
print('self time by file', rows.file, 25);
print('self time by function', rows.fn, top);
print(
  "inclusive time (self and callees) of the gateway's own functions",
  new Map([...rows.inclusive].filter(([name]) => name.includes(' dist/'))),
  top,
);
log(`profile: ${join(profiles, file)}`);

/** The gateway's writers' rows per batch since start, from its /metrics. */
async function writerBatching() {
  const scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
  const metric = (name, writer) => Number(new RegExp(`^${name}\\{writer="${writer}"\\} (\\S+)`, 'm').exec(scrape)?.[1] ?? NaN);
  return ['ledger', 'records']
    .map((writer) => {
      const rows = metric('agora_batch_rows_total', writer);
      const batches = metric('agora_batch_write_seconds_count', writer);
      return `${writer}: ${rows} rows in ${batches} batches (${(rows / batches).toFixed(1)} per batch, since start)`;
    })
    .join('; ');
}
