#!/usr/bin/env node
// What an operator's telemetry does to a gateway during a load bench: an OTLP/HTTP receiver (binary
// protobuf or JSON, POST /v1/traces) counting the spans it gets, and a Prometheus-like scraper of the gateway's
// /metrics once a second. Run pinned to the load core (bench/peers.mjs does), so it takes nothing
// from the server core. On SIGTERM it prints one line: TELEMETRYJSON {"spans":…,"exports":…,"scrapes":…}.
import { writeSync } from 'node:fs';
import http from 'node:http';

const args = process.argv.slice(2);
if (args.includes('--help') || args.length < 2) {
  console.log(`usage: node bench/telemetry-sink.mjs OTLP_PORT METRICS_URL
  OTLP_PORT    port of the OTLP/HTTP receiver on 127.0.0.1 (spans go to /v1/traces)
  METRICS_URL  the gateway's /metrics, scraped every second`);
  process.exit(args.includes('--help') ? 0 : 2);
}
const [port, metricsUrl] = args;
const counts = { spans: 0, exports: 0, scrapes: 0, scrapeErrors: 0, series: 0 };

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method === 'POST' && request.url === '/v1/traces') {
      try {
        const bytes = Buffer.concat(chunks);
        if (request.headers['content-type'] === 'application/x-protobuf') {
          // ExportTraceServiceRequest.resource_spans (1) → ResourceSpans.scope_spans (2) → ScopeSpans.spans (2)
          for (const resource of fields(bytes, 1)) for (const scope of fields(resource, 2)) counts.spans += fields(scope, 2).length;
        } else {
          const body = JSON.parse(bytes.toString('utf8'));
          for (const resource of body.resourceSpans ?? [])
            for (const scope of resource.scopeSpans ?? []) counts.spans += (scope.spans ?? []).length;
        }
        counts.exports++;
      } catch {
        // counted as nothing
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
});
server.listen(Number(port), '127.0.0.1');

/** The length-delimited fields numbered `wanted` of one protobuf message (others skipped by wire type). */
function fields(message, wanted) {
  const found = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      const byte = message[at++];
      if (byte === undefined) throw new Error('truncated');
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < message.length) {
    const tag = varint();
    const type = tag % 8;
    if (type === 0) varint();
    else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else if (type === 2) {
      const length = varint();
      if (Math.floor(tag / 8) === wanted) found.push(message.subarray(at, at + length));
      at += length;
    } else throw new Error(`wire type ${type}`);
  }
  return found;
}

const scrape = setInterval(async () => {
  try {
    const text = await (await fetch(metricsUrl)).text();
    counts.scrapes++;
    counts.series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  } catch {
    counts.scrapeErrors++;
  }
}, 1000);

process.on('SIGTERM', () => {
  clearInterval(scrape);
  writeSync(1, `TELEMETRYJSON ${JSON.stringify(counts)}\n`); // synchronous: process.exit would drop a pending pipe write
  server.close();
  process.exit(0);
});
