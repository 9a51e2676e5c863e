#!/usr/bin/env node
// npm run bench:startup — time from spawn to listening of `agora serve` with the bundled catalog
// (no config file, the SQLite default): N starts on a fresh database each (first start: migrations,
// the admin key) and N restarts on one existing database (a restart is crash recovery). "Listening"
// is the moment serve prints its URL on stdout ("Agora gateway on http://…"); the server listens
// before that line. Beside it, in the same run, the floor: a bare node:http server that listens on
// port 0 and exits (`node -e …`), so every figure is also given as a ratio against it.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, log, median, table, tempDir } from './lib.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench:startup -- [--runs N] [--node-flags "FLAGS"]
  --runs N          starts per case; median, min and max are reported (default 10)
  --node-flags F    extra flags for node in the gateway's runs, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
Cases: baseline (bare node:http listen), fresh database (first start), existing database (restart).
Bar: median start to listening under 300 ms with the bundled catalog.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const RUNS = Number(option('--runs', 10));
const NODE_FLAGS = option('--node-flags', '').split(' ').filter(Boolean);
const AGORA = join(ROOT, 'bin/agora.js');
// Without provider keys in the environment, as a first `npm start` would be.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/_API_KEY$|_BASE_URL$|^AGORA_/.test(name)));

/** Spawns `argv` and resolves with the ms until `ready` matches a line of stdout; then stops it and waits for its exit. */
function timeUntil(argv, ready) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let elapsed;
    child.stdout.on('data', (data) => {
      if (elapsed !== undefined) return;
      out += data;
      if (ready.test(out)) {
        elapsed = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (data) => {
      err = (err + data).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (elapsed !== undefined) resolve(elapsed);
      else reject(new Error(`exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

const BASELINE = ['-e', "require('http').createServer().listen(0, () => { console.log('listening'); process.exit(); })"];
const LISTENING = /Agora gateway on http:\/\/\S+/;
const serve = (db) => [...NODE_FLAGS, AGORA, 'serve', '--db', `sqlite:${db}`, '--port', '0'];

const dir = tempDir('startup');
const results = { baseline: [], fresh: [], restart: [] };
try {
  // One untimed start of each first, so the files are in the page cache as they would be on a restart.
  await timeUntil(BASELINE, /listening/);
  await timeUntil(serve(join(dir, 'warm.db')), LISTENING);
  const existing = join(dir, 'existing.db');
  await timeUntil(serve(existing), LISTENING);
  for (let run = 0; run < RUNS; run++) {
    results.baseline.push(await timeUntil(BASELINE, /listening/));
    results.fresh.push(await timeUntil(serve(join(dir, `fresh-${run}.db`)), LISTENING));
    results.restart.push(await timeUntil(serve(existing), LISTENING));
    log(
      `run ${run + 1}/${RUNS}: baseline ${results.baseline.at(-1).toFixed(0)} ms, fresh ${results.fresh.at(-1).toFixed(0)} ms, restart ${results.restart.at(-1).toFixed(0)} ms`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const base = median(results.baseline);
const row = (name, values) => {
  const mid = median(values);
  return [name, mid.toFixed(0), Math.min(...values).toFixed(0), Math.max(...values).toFixed(0), `${(mid / base).toFixed(2)}×`];
};
console.log(`\nagora serve, spawn to listening, ${RUNS} runs each (node ${process.version})\n`);
console.log(
  table(
    ['case', 'median ms', 'min ms', 'max ms', 'vs baseline'],
    [
      row('baseline: bare node:http listen', results.baseline),
      row('agora serve, fresh SQLite db', results.fresh),
      row('agora serve, existing db (restart)', results.restart),
    ],
  ),
);
const worst = Math.max(median(results.fresh), median(results.restart));
console.log(`\nbar: median under 300 ms — ${worst < 300 ? 'met' : `missed by ${(worst - 300).toFixed(0)} ms`}`);
