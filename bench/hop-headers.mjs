// Hop-by-hop headers (RFC 9110 7.6.1) and host, which the benchmarks' plain proxies drop on both
// legs; content-length passes through (bodies are unchanged). Shared by minimal-node-proxy.mjs and
// settled-node-proxy.mjs.
export const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/** `headers` without the hop-by-hop ones. */
export function strip(headers) {
  const out = {};
  for (const name in headers) if (!HOP.has(name)) out[name] = headers[name];
  return out;
}
