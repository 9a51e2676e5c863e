#!/usr/bin/env node
// npm run bench:ledger — what accounting costs: requests/s with accounting on (a prepaid key:
// reservation, exact cost, a ledger charge group-committed before each response closes) against
// off (the master key: no ledger), through the same gateway, on SQLite and on PostgreSQL.
// Closed loop at 16 connections (wrk), non-streaming and streaming, interleaved and repeated; with
// accounting on, each group commit's rows, write time and oldest wait from the gateway's /metrics.
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
  console.log(`usage: npm run bench:ledger -- [--duration S] [--repeats N] [--conns N] [--postgres URL] [--no-postgres]
  --duration S     seconds per measurement (default 4)
  --repeats N      measurements per variant, interleaved; medians are reported (default 3)
  --conns N        closed-loop connections (default 16)
  --postgres URL   PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/test, a fresh schema)
  --no-postgres    SQLite only
Needs wrk and nginx (apt-get install -y wrk nginx-light). The gateway runs on CPU 0, the load on CPU 1.`);
  process.exit(0);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const DURATION = Number(option('--duration', '4'));
const REPEATS = Number(option('--repeats', '3'));
const CONNS = Number(option('--conns', '16'));
const POSTGRES = option('--postgres', 'postgres://postgres@127.0.0.1:5432/test');
const MASTER = 'sk-agora-bench-master-0123456789abcdefghij';

/** The ledger's group-commit series from the gateway's /metrics: batches, rows, write seconds, oldest-wait seconds. */
async function ledgerCommits(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
  const value = (series) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };
  return {
    batches: value('agora_batch_write_seconds_count{writer="ledger"}'),
    rows: value('agora_batch_rows_total{writer="ledger"}'),
    writeSeconds: value('agora_batch_write_seconds_sum{writer="ledger"}'),
    waitSeconds: value('agora_ledger_commit_lag_seconds_sum'),
    waits: value('agora_ledger_commit_lag_seconds_count'),
  };
}

/** Per group commit over one measurement (two ledgerCommits readings). */
function commitFigures(before, after) {
  const batches = after.batches - before.batches;
  const waits = after.waits - before.waits;
  return {
    batches,
    rows_per_batch: batches > 0 ? +((after.rows - before.rows) / batches).toFixed(1) : 0,
    write_ms: batches > 0 ? +((1000 * (after.writeSeconds - before.writeSeconds)) / batches).toFixed(3) : 0,
    wait_ms: waits > 0 ? +((1000 * (after.waitSeconds - before.waitSeconds)) / waits).toFixed(3) : 0,
  };
}

requireTools();
const dir = tempDir('ledger');
const nginx = await startNginx();
const config = benchConfig(dir, nginx.url);
const databases = [['sqlite', `sqlite:${join(dir, 'agora.db')}`]];
if (!args.includes('--no-postgres'))
  databases.push(['postgres', `${POSTGRES}${POSTGRES.includes('?') ? '&' : '?'}schema=bench_${process.pid}`]);

const chatBody = bodyFor(dir, 'chat-request.json', 'bench/chat');
const streamBody = bodyFor(dir, 'stream-request.json', 'bench/stream');
const COLUMNS = [
  'store',
  'kind',
  'accounting',
  'req/s',
  'p50 ms',
  'p99 ms',
  'CPU µs/req',
  'rows/commit',
  'commit write ms',
  'oldest wait ms',
  'errors',
];
const rows = [];
const summary = [];
for (const [name, database] of databases) {
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
  const prepaid = created.trim().split('\n').pop();
  const port = await freePort();
  const gateway = await startServer(`gateway on ${name}`, process.execPath, serveArgs({ config, database, port }), {
    env: { AGORA_MASTER_KEY: MASTER },
    url: `http://127.0.0.1:${port}/health`,
  });
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  const variants = [
    ['off', 'chat', chatBody, MASTER],
    ['on', 'chat', chatBody, prepaid],
    ['off', 'stream', streamBody, MASTER],
    ['on', 'stream', streamBody, prepaid],
  ];
  for (const [, , body, key] of variants) await wrk(url, body, `Authorization: Bearer ${key}`, CONNS, 1); // warm-up
  const results = new Map();
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const [accounting, kind, body, key] of variants) {
      const before = await ledgerCommits(port);
      const result = await measured([gateway.pid], () => wrk(url, body, `Authorization: Bearer ${key}`, CONNS, DURATION));
      Object.assign(result, commitFigures(before, await ledgerCommits(port)));
      log(
        `${name} ${kind} accounting ${accounting}: ${result.rps} req/s, p50 ${result.p50_ms} ms, ${result.cpu_us_per_req} µs CPU/req, errors ${result.errors}` +
          (result.batches > 0
            ? `; ${result.rows_per_batch} rows per group commit, write ${result.write_ms} ms, oldest wait ${result.wait_ms} ms`
            : ''),
      );
      const id = `${kind}:${accounting}`;
      results.set(id, [...(results.get(id) ?? []), result]);
    }
  }
  gateway.kill('SIGTERM');
  for (const kind of ['chat', 'stream']) {
    const pick = (accounting, field) => median(results.get(`${kind}:${accounting}`).map((result) => result[field]));
    for (const accounting of ['off', 'on']) {
      rows.push([
        name,
        kind,
        accounting,
        pick(accounting, 'rps'),
        pick(accounting, 'p50_ms'),
        pick(accounting, 'p99_ms'),
        pick(accounting, 'cpu_us_per_req'),
        accounting === 'on' ? pick(accounting, 'rows_per_batch') : '',
        accounting === 'on' ? pick(accounting, 'write_ms') : '',
        accounting === 'on' ? pick(accounting, 'wait_ms') : '',
        pick(accounting, 'errors'),
      ]);
    }
    const ratio = pick('on', 'rps') / pick('off', 'rps');
    summary.push([name, kind, +ratio.toFixed(3), `${(100 * (1 - ratio)).toFixed(1)}%`]);
  }
}
stopAll();
if (databases.length > 1) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`drop schema if exists bench_${process.pid} cascade`);
  await client.end();
}
console.log(
  `\n## bench:ledger — ${new Date().toISOString()} — node ${process.version}, ${CONNS} connections, ${DURATION}s × ${REPEATS} (medians)\n`,
);
console.log(`${table(COLUMNS, rows)}\n`);
console.log(
  'rows/commit, commit write ms, oldest wait ms: per group commit of the ledger, from the gateway\'s own /metrics over the measurement (agora_batch_write_seconds{writer="ledger"}, agora_ledger_commit_lag_seconds): rows in it, the time from its start to its commit as the gateway saw it, and how long its oldest charge waited from being posted, which an answer\'s last byte waits for.\n',
);
console.log(`### accounting on / off\n${table(['store', 'kind', 'throughput ratio', 'cost of accounting'], summary)}\n`);
// A figure measured on error answers means nothing: say so loudly, and fail.
const failedRows = rows
  .filter((row) => Number(row[COLUMNS.indexOf('errors')]) > 0)
  .map((row) => `${row[0]} ${row[1]} accounting ${row[2]}`);
if (failedRows.length > 0) {
  console.error(`ERROR: requests failed during ${failedRows.join(', ')}; the figures above are not valid.`);
  process.exit(1);
}
process.exit(0);
