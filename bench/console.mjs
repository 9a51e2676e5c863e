#!/usr/bin/env node
// npm run bench:console — the console's weight and its first page's speed on loopback. Weight: every
// JavaScript and CSS file of dist/console, raw and gzip (the bar: JavaScript under 500 kB gzip), and
// what the first page actually loads. Speed: in headless Chromium, from navigation to the models table
// on screen (the first page usable), over N fresh loads (cold cache each), against a baseline of the
// same browser loading /health from the same gateway in the same run.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/main.js';
import { createLogger } from '../dist/lib/logger.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:console -- [--loads N]
  --loads N   fresh page loads measured (default 10); the median and the worst are reported
Needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium) and a built console (npm run build).
Bars: the console's JavaScript under 500 kB gzip; the first page usable within 1 s on loopback.`);
  process.exit(0);
}
const index = args.indexOf('--loads');
const LOADS = index >= 0 ? Number(args[index + 1]) : 10;

const assets = new URL('../dist/console/assets/', import.meta.url);
let jsRaw = 0;
let jsGzip = 0;
let cssGzip = 0;
const files = [];
for (const name of readdirSync(assets)) {
  const raw = readFileSync(new URL(name, assets));
  const gz = gzipSync(raw, { level: 9 }).length;
  files.push({ name, raw: raw.length, gzip: gz });
  if (name.endsWith('.js')) {
    jsRaw += raw.length;
    jsGzip += gz;
  } else if (name.endsWith('.css')) cssGzip += gz;
}
files.sort((a, b) => b.gzip - a.gzip);
console.log(
  `bench:console — dist/console: ${files.length} assets; JavaScript ${(jsRaw / 1024).toFixed(0)} kB raw, ${(jsGzip / 1024).toFixed(1)} kB gzip (bar 500 kB); CSS ${(cssGzip / 1024).toFixed(1)} kB gzip`,
);
for (const file of files.slice(0, 5))
  console.log(
    `  ${file.name.padEnd(36)} ${(file.raw / 1024).toFixed(1).padStart(7)} kB  ${(file.gzip / 1024).toFixed(1).padStart(6)} kB gzip`,
  );

const { chromium } = await import('playwright-core');
const running = await startGateway({
  config: loadConfig({ text: '', file: 'bench.yaml', env: {} }),
  databaseUrl: 'sqlite::memory:',
  port: 0,
  host: '127.0.0.1',
  masterKey: 'sk-agora-bench-master-0123456789abcdefghij',
  logger: createLogger('error'),
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

async function load(path, ready) {
  const context = await browser.newContext(); // a cold cache every time
  const page = await context.newPage();
  let bytes = 0;
  page.on('response', async (response) => {
    const length = Number(response.headers()['content-length'] ?? 0);
    bytes += length;
  });
  const started = performance.now();
  await page.goto(`${running.url}${path}`);
  await ready(page);
  const elapsed = performance.now() - started;
  await context.close();
  return { elapsed, bytes };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const first = [];
const baseline = [];
let firstBytes = 0;
await load('/', (page) => page.getByTestId('models-table').waitFor()); // warm the server's file cache
for (let round = 0; round < LOADS; round++) {
  baseline.push((await load('/health', (page) => page.waitForLoadState('load'))).elapsed);
  const result = await load('/', (page) => page.getByTestId('models-table').waitFor());
  first.push(result.elapsed);
  firstBytes = result.bytes;
}
const m = median(first);
console.log(
  `\nfirst page usable (models table on screen), ${LOADS} cold loads: median ${m.toFixed(0)} ms, worst ${Math.max(...first).toFixed(0)} ms — ${m < 1000 ? 'within' : 'OVER'} the 1 s bar`,
);
console.log(
  `baseline (/health in the same browser): median ${median(baseline).toFixed(0)} ms; first page ${(m / median(baseline)).toFixed(1)}× the baseline`,
);
console.log(`the first page transferred ${(firstBytes / 1024).toFixed(1)} kB (compressed, all requests)`);
await browser.close();
await running.shutdown(1000);
