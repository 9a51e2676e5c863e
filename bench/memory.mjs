#!/usr/bin/env node
// npm run bench:memory — the gateway's memory at idle and with many streams open at once. A loopback
// fake upstream (in this process) answers every streamed chat with its role chunk and a first word at
// once, then one more word every --drip ms, and holds the stream open until the bench releases it
// (the test fake's `drip` mode, held open). The gateway runs as `agora serve` with a config file
// (one provider on the fake, a key with credit, so every stream holds a credit reservation), pinned
// to CPU 0. Figures: RSS from /proc, heap from process.memoryUsage() inside the gateway (a preloaded
// probe, bench/memory-probe.mjs, answers SIGUSR2), at
//   idle:        just after start;
//   warm:        after --warmup streams ran to the end (code loaded, pools and caches made);
//   open:        with --streams streams open and dripping (peak RSS while they were opened too);
//   released:    after every stream ended and was recorded.
// The per-stream cost is (open - warm) / streams. Bar: 1,000 open streams under 150 MB RSS.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { BENCH, ROOT, createKey, freePort, log, startServer, stopAll, table, tempDir, serveArgs } from './lib.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:memory -- [--streams N] [--drip MS] [--hold S] [--warmup N]
  --streams N   streams held open at once (default 1000)
  --drip MS     ms between the words the upstream sends on each open stream (default 1000)
  --hold S      seconds the streams stay open, dripping, before the figures are taken (default 5)
  --warmup N    streams run to the end before the warm figures (default 50)
Bar: ${'1,000'} open streams under 150 MB RSS.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const STREAMS = option('--streams', 1000);
const DRIP_MS = option('--drip', 1000);
const HOLD_S = option('--hold', 5);
const WARMUP = option('--warmup', 50);
const MASTER = 'sk-agora-bench-master-0123456789abcdefghij';

// ---- the fake upstream: OpenAI's SSE chunks, held open until released ----
const held = new Set();
let released = false;
const chunk = (id, delta, finish = null) =>
  `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_718_000_000, model: 'slow-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
function finish(stream) {
  clearInterval(stream.timer);
  held.delete(stream);
  const { response, id, words } = stream;
  if (response.destroyed) return;
  response.write(chunk(id, {}, 'stop'));
  response.write(
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_718_000_000, model: 'slow-model', choices: [], usage: { prompt_tokens: 12, completion_tokens: words, total_tokens: 12 + words } })}\n\n`,
  );
  response.end('data: [DONE]\n\n');
}
let served = 0;
const upstream = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const id = `chatcmpl-${++served}`;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(chunk(id, { role: 'assistant', content: '' }));
    response.write(chunk(id, { content: 'Hello' }));
    const stream = { response, id, words: 1, timer: undefined };
    held.add(stream);
    if (released) return finish(stream);
    stream.timer = setInterval(() => {
      stream.words++;
      response.write(chunk(id, { content: ' word' }));
    }, DRIP_MS);
    response.on('close', () => {
      clearInterval(stream.timer);
      held.delete(stream);
    });
  });
});
upstream.keepAliveTimeout = 60_000;
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;

// ---- the gateway ----
const dir = tempDir('memory');
const config = join(dir, 'agora.yaml');
writeFileSync(
  config,
  `bundled_catalog: false
server:
  max_connections_per_client: 0
providers:
  slow: { base_url: ${upstreamUrl}, max_connections: ${STREAMS + 100} }
models:
  bench/slow:
    endpoints: [{ provider: slow, model: slow-model, pricing: { prompt: 0.15, completion: 0.6 } }]
`,
);
const database = `sqlite:${join(dir, 'agora.db')}`;
const key = createKey(database);
const port = await freePort();
const gateway = await startServer(
  'gateway (agora serve)',
  process.execPath,
  serveArgs({ config, database, port, nodeFlags: ['--import', join(BENCH, 'memory-probe.mjs'), '--expose-gc'] }),
  { env: { AGORA_MASTER_KEY: MASTER }, url: `http://127.0.0.1:${port}/health` },
);
let probeOut = '';
gateway.stderr.on('data', (data) => {
  probeOut += data;
});

function rssMb() {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'));
  return Number(match[1]) / 1024;
}
/** The gateway's process.memoryUsage() (and again after a full GC), through the probe. */
async function heap() {
  const before = probeOut.length;
  gateway.kill('SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 20) {
    const line = probeOut
      .slice(before)
      .split('\n')
      .find((text) => text.startsWith('MEMJSON '));
    if (line) return JSON.parse(line.slice('MEMJSON '.length));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the memory probe did not answer:\n${probeOut.slice(-2000)}`);
}
const mb = (bytes) => bytes / 1048576;
const rows = [];
async function snapshot(name, rss = rssMb()) {
  const usage = await heap();
  rows.push([
    name,
    rss.toFixed(1),
    mb(usage.before.heapUsed).toFixed(1),
    mb(usage.before.heapTotal).toFixed(1),
    mb(usage.afterGc.heapUsed).toFixed(1),
    mb(usage.before.external + usage.before.arrayBuffers).toFixed(1),
  ]);
  log(
    `${name}: RSS ${rss.toFixed(1)} MB, heap used ${mb(usage.before.heapUsed).toFixed(1)} MB (${mb(usage.afterGc.heapUsed).toFixed(1)} after GC)`,
  );
  return { rss, usage };
}

// ---- the client: streams through the gateway ----
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const body = JSON.stringify({
  model: 'bench/slow',
  messages: [{ role: 'user', content: 'Say hello slowly.' }],
  stream: true,
  max_tokens: 4096,
});
/** Starts a streamed chat; resolves `opened` at its first content bytes and `done` at its end. */
function openStream() {
  let opened;
  const openedPromise = new Promise((resolve, reject) => (opened = { resolve, reject }));
  const done = new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        if (response.statusCode !== 200) {
          let text = '';
          response.on('data', (data) => (text += data));
          response.on('end', () => {
            const error = new Error(`status ${response.statusCode}: ${text.slice(0, 300)}`);
            opened.reject(error);
            reject(error);
          });
          return;
        }
        let seen = '';
        let isOpen = false;
        response.on('data', (data) => {
          if (isOpen) return;
          seen += data;
          if (seen.includes('Hello')) {
            isOpen = true;
            opened.resolve();
          }
        });
        response.on('end', resolve);
        response.on('error', reject);
      },
    );
    request.on('error', (error) => {
      opened.reject(error);
      reject(error);
    });
    request.end(body);
  });
  done.catch(() => undefined);
  openedPromise.catch(() => undefined);
  return { opened: openedPromise, done };
}

try {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle = await snapshot('idle, after start');

  // Warm-up: streams run to the end (the upstream releases each at once).
  released = true;
  for (let index = 0; index < WARMUP; index += 10) {
    await Promise.all(Array.from({ length: Math.min(10, WARMUP - index) }, () => openStream().done));
  }
  released = false;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const warm = await snapshot(`warm, after ${WARMUP} streams`);

  // Open STREAMS streams, in waves of 100, and hold them.
  let peak = rssMb();
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
  }, 100);
  const started = performance.now();
  const streams = [];
  for (let index = 0; index < STREAMS; index += 100) {
    const wave = Array.from({ length: Math.min(100, STREAMS - index) }, () => openStream());
    streams.push(...wave);
    await Promise.all(wave.map((stream) => stream.opened));
    process.stderr.write(`\ropen streams: ${streams.length}/${STREAMS}`);
  }
  process.stderr.write('\n');
  log(
    `${STREAMS} streams open in ${((performance.now() - started) / 1000).toFixed(1)} s (upstream holds ${held.size}); holding ${HOLD_S} s`,
  );
  await new Promise((resolve) => setTimeout(resolve, HOLD_S * 1000));
  peak = Math.max(peak, rssMb());
  clearInterval(sampler);
  const open = await snapshot(`${STREAMS} streams open`);
  rows.push([`  peak RSS while opening and holding`, peak.toFixed(1), '', '', '', '']);

  // Release: every stream gets its finish, usage and [DONE]; the gateway charges and records each.
  released = true;
  for (const stream of [...held]) finish(stream);
  await Promise.all(streams.map((stream) => stream.done));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await snapshot('released, all ended and recorded');

  console.log(`\nagora serve memory (node ${process.version}), ${STREAMS} streams dripping every ${DRIP_MS} ms\n`);
  console.log(table(['state', 'RSS MB', 'heap used MB', 'heap total MB', 'heap used after GC MB', 'external+buffers MB'], rows));
  const perStream = ((open.rss - warm.rss) * 1024) / STREAMS;
  const heapPerStream = (open.usage.afterGc.heapUsed - warm.usage.afterGc.heapUsed) / 1024 / STREAMS;
  console.log(
    `\nper open stream: ${perStream.toFixed(1)} KB RSS, ${heapPerStream.toFixed(1)} KB live heap (after GC); idle RSS ${idle.rss.toFixed(1)} MB`,
  );
  const worst = Math.max(peak, open.rss);
  console.log(
    `bar: ${STREAMS} open streams under 150 MB RSS — ${worst < 150 ? 'met' : `missed by ${(worst - 150).toFixed(1)} MB`} (peak ${peak.toFixed(1)} MB)`,
  );
} finally {
  stopAll();
  agent.destroy();
  for (const stream of held) stream.response.destroy();
  upstream.close();
}
