// Borrowed from the shared side-by-side harness (shared/bench/probe.mjs), unchanged but for this line and --help.
// HTTP probe for OpenAI-style endpoints, complementing wrk:
//  * closed loop (default): C keep-alive connections, each sends the next request when the
//    previous one has ended;
//  * open loop (--rate R): requests are *scheduled* at R per second whatever the answers do
//    (at most C sockets; extra requests queue), and latency is counted from the scheduled
//    time, so a stalled server is not hidden (no coordinated omission, as in wrk2).
// Times each response: headers, first body byte (TTFB ~ time to first token), last byte.
// --expect sse: 200 + text/event-stream + ends with "data: [DONE]"; --expect json: 200 +
// application/json + a body containing "choices". Bounded by -d seconds and --max requests.
// Prints one line: PROBEJSON {...}
//   node bench/probe.mjs --url http://127.0.0.1:18080/stream/v1/chat/completions \
//     --body bench/payloads/stream-request.json --expect sse -c 16 -d 10 [--rate 500] [--hdrs 'K: v|K: v']
import http from 'node:http';
import fs from 'node:fs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: node bench/probe.mjs --url URL --body FILE [--expect sse|json] [-c CONNS] [-d SECONDS] [--rate R] [--max N] [--hdrs 'K: v|K: v']
  --url URL       a loopback OpenAI-style endpoint (other hosts are refused)
  --body FILE     the request body, sent as application/json
  --expect KIND   sse: 200, text/event-stream, ends with data: [DONE] (default); json: 200, a body with "choices"
  -c CONNS        keep-alive connections (default 1)
  -d SECONDS      how long to run (default 10)
  --rate R        open loop: R requests/s scheduled, latency from the scheduled time (default 0: closed loop)
  --max N         stop after N requests (default 2000000)
  --hdrs LIST     extra request headers, separated by |
Prints one line: PROBEJSON {...} with header, first-byte and total latency percentiles.`);
  process.exit(0);
}
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const url = new URL(opt('--url'));
if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) throw new Error('loopback targets only');
const body = fs.readFileSync(opt('--body'));
const conns = Number(opt('-c', '1'));
const seconds = Number(opt('-d', '10'));
const rate = Number(opt('--rate', '0'));
const maxRequests = Number(opt('--max', '2000000'));
const expect = opt('--expect', 'sse');
const headers = { 'content-type': 'application/json', 'content-length': body.length };
for (const h of (opt('--hdrs', '') || '').split('|')) {
  const m = h.match(/^\s*([^:]+):\s*(.*?)\s*$/);
  if (m) headers[m[1]] = m[2];
}
const agent = new http.Agent({ keepAlive: true, maxSockets: conns, maxFreeSockets: conns });
const hdr = [],
  ttfb = [],
  total = [],
  lag = [];
let ok = 0,
  bad = 0,
  sent = 0,
  events = 0;
const errors = {};
const fail = (k) => {
  bad++;
  errors[k] = (errors[k] || 0) + 1;
};

function once(tSched) {
  return new Promise((resolve) => {
    let tHdr = 0,
      tFirst = 0,
      n = 0,
      tail = '',
      status = 0,
      ctype = '';
    const req = http.request(url, { method: 'POST', headers, agent }, (res) => {
      tHdr = performance.now();
      status = res.statusCode;
      ctype = String(res.headers['content-type'] || '');
      res.setEncoding('utf8');
      res.on('data', (s) => {
        if (!tFirst) tFirst = performance.now();
        for (let i = s.indexOf('data: '); i !== -1; i = s.indexOf('data: ', i + 1)) n++;
        tail = expect === 'sse' ? (tail + s).slice(-256) : tail.length < 1 << 20 ? tail + s : tail;
      });
      res.on('end', () => {
        const t1 = performance.now();
        const good =
          status === 200 &&
          (expect === 'sse'
            ? ctype.startsWith('text/event-stream') && tail.includes('data: [DONE]')
            : ctype.startsWith('application/json') && tail.includes('"choices"'));
        if (good) {
          ok++;
          events += n;
          hdr.push(tHdr - tSched);
          ttfb.push((tFirst || t1) - tSched);
          total.push(t1 - tSched);
        } else fail(`status_${status}${status === 200 ? '_bad_body' : ''}`);
        resolve();
      });
      res.on('error', (e) => {
        fail(e.code || 'res_error');
        resolve();
      });
    });
    req.on('error', (e) => {
      fail(e.code || 'req_error');
      resolve();
    });
    req.end(body);
  });
}
const tStart = performance.now();
const deadline = tStart + seconds * 1000;
const inflight = new Set();
if (rate > 0) {
  // Open loop: request i is due at tStart + i/rate. setImmediate re-checks the schedule
  // after each pass of the event loop (the load core spins; timers alone are ~1 ms coarse).
  const planned = Math.min(maxRequests, Math.ceil(seconds * rate));
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(planned, Math.floor(((now - tStart) / 1000) * rate) + 1);
      while (sent < due) {
        const tSched = tStart + (sent / rate) * 1000;
        sent++;
        lag.push(performance.now() - tSched);
        const p = once(tSched);
        inflight.add(p);
        p.then(() => inflight.delete(p));
      }
      if (sent >= planned) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  // Let what was sent finish, but not forever (bounded wait: duration + 30 s).
  await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, (seconds + 30) * 1000).unref())]);
  for (let i = 0; i < inflight.size; i++) fail('unfinished');
} else {
  const worker = async () => {
    while (performance.now() < deadline && sent < maxRequests) {
      sent++;
      await once(performance.now());
    }
  };
  await Promise.all(Array.from({ length: conns }, worker));
}
const elapsed = (performance.now() - tStart) / 1000;
agent.destroy();
const pct = (a, p) => {
  if (!a.length) return null;
  const s = Float64Array.from(a).sort();
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(3);
};
console.log(
  'PROBEJSON ' +
    JSON.stringify({
      mode: rate > 0 ? 'open' : 'closed',
      offered_rps: rate || null,
      conns,
      requests: ok + bad,
      ok,
      bad,
      errors,
      duration_s: +elapsed.toFixed(3),
      rps: +(ok / elapsed).toFixed(1),
      chunks_per_response: expect === 'sse' && ok ? +(events / ok).toFixed(1) : null,
      hdr_p50_ms: pct(hdr, 50),
      ttfb_p50_ms: pct(ttfb, 50),
      ttfb_p99_ms: pct(ttfb, 99),
      p50_ms: pct(total, 50),
      p90_ms: pct(total, 90),
      p99_ms: pct(total, 99),
      max_ms: pct(total, 100),
      // open loop only: how late the generator sent requests (its own health, should be << p50)
      send_lag_p50_ms: pct(lag, 50),
      send_lag_p99_ms: pct(lag, 99),
    }),
);
