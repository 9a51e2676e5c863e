// Borrowed from the shared side-by-side harness (shared/bench/minimal-node-proxy.mjs): the baseline.
// "What plain Node can do": node:http server + undici Pool to one upstream, no framework.
// Buffers the request body (a gateway must read it to route), streams the response back
// chunk by chunk (SSE passes through unbuffered). Usage:
//   PORT=18090 UPSTREAM=http://127.0.0.1:18080 node bench/minimal-node-proxy.mjs
// pool.stream() writes upstream chunks straight into `res`; request() + stream.pipeline()
// measured 2-2.5x slower here (per-request AbortSignal/DOMException and pipeline set-up).
import http from 'node:http';
import { Pool } from 'undici';
import { strip } from './hop-headers.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: PORT=18090 UPSTREAM=http://127.0.0.1:18080 node bench/minimal-node-proxy.mjs
  The benchmarks' baseline: node:http in front of an undici Pool to one upstream, no framework.
  Environment: PORT (default 18090), HOST (default 127.0.0.1), UPSTREAM (default http://127.0.0.1:18080),
  POOL_CONNECTIONS (default 128).`);
  process.exit(0);
}
const PORT = Number(process.env.PORT ?? 18090);
const HOST = process.env.HOST ?? '127.0.0.1';
const pool = new Pool(process.env.UPSTREAM ?? 'http://127.0.0.1:18080', {
  connections: Number(process.env.POOL_CONNECTIONS ?? 128),
  keepAliveTimeout: 60_000,
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    pool
      .stream(
        { path: req.url, method: req.method, headers: strip(req.headers), body: chunks.length ? Buffer.concat(chunks) : undefined },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, strip(headers));
          return res;
        },
      )
      .catch((err) => {
        if (res.headersSent) return res.destroy(err);
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `upstream error: ${err.code ?? err.message}` } }));
      });
  });
});
server.keepAliveTimeout = 120_000;
server.listen(PORT, HOST, () => console.log(`minimal-node-proxy on http://${HOST}:${PORT}`));
for (const s of ['SIGTERM', 'SIGINT'])
  process.on(s, () => {
    server.close();
    pool.close();
    process.exit(0);
  });
