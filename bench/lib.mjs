// Shared pieces of the benchmarks: start and pin servers, run wrk (closed loop) and probe.mjs
// (open loop), and sample the CPU time and peak RSS of a process. Servers go on CPU 0 and the
// load generator on CPU 1 (as shared/bench/run-peers.sh does), so they do not steal each other's core.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH, '..');
export const SERVER_CPU = process.env.SERVER_CPUS ?? '0';
export const LOAD_CPU = process.env.LOAD_CPUS ?? '1';
const started = [];

export function log(message) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function requireTools() {
  const missing = ['wrk', 'nginx', 'taskset'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    console.error(`missing: ${missing.join(', ')}. Install with: apt-get update && apt-get install -y wrk nginx-light util-linux`);
    process.exit(1);
  }
}

/** mulberry32: a small seeded generator, so every run with one seed makes the same data. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `agora-bench-${name}-`));
}

async function waitFor(url, child, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** Starts a command pinned to the server CPU; resolves once `url` answers. */
export async function startServer(name, command, args, { env = {}, url, cwd } = {}) {
  const child = spawn('taskset', ['-c', SERVER_CPU, command, ...args], {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (data) => {
    stderr = (stderr + data).slice(-4000);
  });
  started.push(child);
  try {
    await waitFor(url, child);
  } catch (error) {
    throw new Error(`${name}: ${error.message}\n${stderr}`);
  }
  log(`${name} pid ${child.pid} on cpu ${SERVER_CPU}`);
  return child;
}

export async function startNginx() {
  const prefix = tempDir('nginx');
  chmodSync(prefix, 0o755); // nginx's workers run as an unprivileged user and must read static/
  mkdirSync(join(prefix, 'tmp'));
  cpSync(join(BENCH, 'nginx/static'), join(prefix, 'static'), { recursive: true });
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), readFileSync(join(BENCH, 'nginx/nginx.conf'), 'utf8').replaceAll('@PORT@', String(port)));
  const master = await startServer('nginx', 'nginx', ['-c', join(prefix, 'nginx.conf'), '-p', `${prefix}/`, '-g', 'daemon off;'], {
    url: `http://127.0.0.1:${port}/`,
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  // taskset execs nginx, so the child is nginx's master; its worker serves the requests
  const workers = childrenOf(master.pid);
  return { url: `http://127.0.0.1:${port}`, pids: workers.length > 0 ? workers : [master.pid] };
}

function childrenOf(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .map(Number)
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function stopAll() {
  for (const child of started) {
    try {
      child.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
process.on('exit', stopAll);

/** utime + stime of the processes, in clock ticks (10 ms). */
export function cpuTicks(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return total;
}

function rssKb(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += match ? Number(match[1]) : 0;
    } catch {
      // gone
    }
  }
  return total;
}

/** Runs `work` while sampling CPU and peak RSS of `pids`; adds cpu_us_per_req and rss_mb to its result. */
export async function measured(pids, work) {
  let peak = rssKb(pids);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKb(pids));
  }, 200);
  const before = cpuTicks(pids);
  const result = await work();
  const ticks = cpuTicks(pids) - before;
  clearInterval(sampler);
  return {
    ...result,
    cpu_us_per_req: result.requests ? +((ticks * 10_000) / result.requests).toFixed(1) : null,
    rss_mb: +(peak / 1024).toFixed(1),
  };
}

function pinned(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn('taskset', ['-c', LOAD_CPU, command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (data) => {
      out += data;
    });
    child.stderr.on('data', (data) => {
      out += data;
    });
    child.on('exit', () => resolve(out));
  });
}

/** Closed loop: `connections` keep-alive connections for `seconds`. */
export async function wrk(url, bodyFile, headers, connections, seconds) {
  const out = await pinned(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(BENCH, 'wrk/post.lua'), url],
    {
      BODY_FILE: bodyFile,
      HDRS: headers,
    },
  );
  const line = out.split('\n').find((text) => text.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk gave no result: ${out.slice(-500)}`);
  const parsed = JSON.parse(line.slice('WRKJSON '.length));
  return { ...parsed, errors: parsed.err_status + parsed.err_connect + parsed.err_read + parsed.err_write + parsed.err_timeout };
}

/** Open loop: requests scheduled at `rate` per second, latency counted from the schedule. */
export async function probe(url, bodyFile, headers, { rate = 0, connections = 64, seconds, expect = 'json' }) {
  const args = [
    join(BENCH, 'probe.mjs'),
    '--url',
    url,
    '--body',
    bodyFile,
    '--hdrs',
    headers,
    '--expect',
    expect,
    '-c',
    String(connections),
    '-d',
    String(seconds),
  ];
  if (rate > 0) args.push('--rate', String(rate));
  const out = await pinned(process.execPath, args);
  const line = out.split('\n').find((text) => text.startsWith('PROBEJSON '));
  if (!line) throw new Error(`probe gave no result: ${out.slice(-500)}`);
  const parsed = JSON.parse(line.slice('PROBEJSON '.length));
  return { ...parsed, errors: parsed.bad };
}

/** A body file with `model` replaced. */
export function bodyFor(dir, source, model) {
  const text = readFileSync(join(BENCH, 'payloads', source), 'utf8').replace('"model":"gpt-4o-mini"', `"model":"${model}"`);
  const file = join(dir, `${model.replace(/\W/g, '_')}-${source}`);
  writeFileSync(file, text);
  return file;
}

export function table(headers, rows) {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => String(row[index] ?? '').length)));
  const line = (cells) => `| ${cells.map((cell, index) => String(cell ?? '').padEnd(widths[index])).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function median(values) {
  const sorted = values.filter((value) => value !== null && value !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.floor(sorted.length / 2)];
}

/** `agora keys create` on `database` (a prepaid key with `credit` USD); returns the key. */
export function createKey(database, { name = 'bench', credit = 1_000_000 } = {}) {
  const created = execFileSync(process.execPath, [
    join(ROOT, 'bin/agora.js'),
    'keys',
    'create',
    '--name',
    name,
    '--credit',
    String(credit),
    '--db',
    database,
  ]);
  return created.toString().trim().split('\n').pop();
}

/**
 * Traces every request of the gateway `config` configures (OTLP to a receiver on the load core) and
 * starts that receiver (bench/telemetry-sink.mjs), which also scrapes `metricsUrl` once a second;
 * returns its process (SIGTERM prints its summary).
 */
export async function startTelemetrySink(config, metricsUrl = 'http://127.0.0.1:1/') {
  const otlpPort = await freePort();
  writeFileSync(config, `${readFileSync(config, 'utf8')}telemetry:\n  otlp_endpoint: http://127.0.0.1:${otlpPort}\n  sample_ratio: 1\n`);
  return spawn('taskset', ['-c', LOAD_CPU, process.execPath, join(BENCH, 'telemetry-sink.mjs'), String(otlpPort), metricsUrl]);
}

/** The gateway config every load bench uses: bench/chat and bench/stream (and bench/drip) on the nginx fake upstream at `upstream`. */
export function benchConfig(dir, upstream, { drip = false } = {}) {
  const config = join(dir, 'agora.yaml');
  const kinds = [['chat', 'bench', '/v1'], ['stream', 'benchstream', '/stream/v1'], ...(drip ? [['drip', 'benchdrip', '/drip/v1']] : [])];
  const providers = kinds.map(([, provider, path]) => `  ${provider}: { base_url: ${upstream}${path} }`).join('\n');
  const models = kinds
    .map(
      ([kind, provider]) =>
        `  bench/${kind}:\n    endpoints: [{ provider: ${provider}, model: gpt-4o-mini, pricing: { prompt: 0.15, completion: 0.6 } }]`,
    )
    .join('\n');
  writeFileSync(config, `bundled_catalog: false\nproviders:\n${providers}\nmodels:\n${models}\n`);
  return config;
}

/** `node` arguments for `agora serve` on `config` and `database` at `port` (warnings only), after `nodeFlags`. */
export function serveArgs({ config, database, port, nodeFlags = [], root = ROOT }) {
  return [
    ...nodeFlags,
    join(root, 'bin/agora.js'),
    'serve',
    '--config',
    config,
    '--db',
    database,
    '--port',
    String(port),
    '--log-level',
    'warn',
  ];
}
