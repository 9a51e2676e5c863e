/**
 * The web console (console/, built by Vite into dist/console): `GET /` answers its index.html and
 * `GET /assets/{file}` its hashed files. Files are read once and kept in memory with their gzip and
 * Brotli forms; hashed assets are cached by browsers for a year (`immutable`), index.html is always
 * revalidated (`no-cache` with an ETag), so a new release is picked up on the next load. Public: the
 * console holds no data of its own and signs in with a key kept in the browser tab.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Exchange } from '../gateway.js';
import { notFound } from '../contract/errors.js';

/** dist/console, two folders up from this file in both src/api and dist/api. */
const ROOT = new URL('../../dist/console/', import.meta.url);

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};

interface ConsoleFile {
  type: string;
  etag: string;
  raw: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

const files = new Map<string, ConsoleFile | null>();

function load(name: string): ConsoleFile | null {
  let file = files.get(name);
  if (file !== undefined) return file;
  try {
    const raw = readFileSync(new URL(name, ROOT));
    const extension = name.slice(name.lastIndexOf('.') + 1);
    const type = TYPES[extension] ?? 'application/octet-stream';
    const compressible = /^(text\/|image\/svg|application\/json)/.test(type) && raw.length > 512;
    file = {
      type,
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}"`,
      raw,
      ...(compressible ? { gzip: gzipSync(raw, { level: 9 }), br: brotliCompressSync(raw) } : {}),
    };
  } catch {
    file = null;
  }
  files.set(name, file);
  return file;
}

function send(exchange: Exchange, file: ConsoleFile, cacheControl: string): void {
  const { request, response } = exchange;
  const headers: Record<string, string> = {
    'content-type': file.type,
    'cache-control': cacheControl,
    etag: file.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (file.type.startsWith('text/html')) {
    headers['content-security-policy'] =
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";
    headers['referrer-policy'] = 'no-referrer';
  }
  if (request.headers['if-none-match'] === file.etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const accepted = String(request.headers['accept-encoding'] ?? '');
  let body = file.raw;
  if (file.br && /\bbr\b/.test(accepted)) {
    body = file.br;
    headers['content-encoding'] = 'br';
  } else if (file.gzip && /\bgzip\b/.test(accepted)) {
    body = file.gzip;
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  response.writeHead(200, headers);
  response.end(request.method === 'HEAD' ? undefined : body);
}

export function consoleIndex(exchange: Exchange): void {
  exchange.request.resume();
  const file = load('index.html');
  if (!file) {
    throw notFound('The console is not built: run `npm run build` (it builds the console into dist/console).', 'console_not_built');
  }
  send(exchange, file, 'no-cache');
}

export function consoleAsset(exchange: Exchange, name: string): void {
  exchange.request.resume();
  // Vite's names: letters, digits, - _ and one extension; nothing else reaches the file system.
  const file = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[a-z0-9]+$/.test(name) ? load(`assets/${name}`) : null;
  if (!file) throw notFound(`No console asset '${name.slice(0, 100)}'.`, 'asset_not_found');
  send(exchange, file, 'public, max-age=31536000, immutable');
}
