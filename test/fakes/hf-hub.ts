/**
 * A fake Hugging Face Hub on loopback, answering in the Hub API's documented shapes:
 *  - GET /api/models/{author}/{name}: one model info (ids matched case-insensitively, as the Hub does);
 *  - GET /api/models?filter=TAG (or other=TAG, search=TEXT, author=A) &limit=N &cursor=C: list entries
 *    whose tags include TAG, N per page (default 1,000), with `Link: <…>; rel="next"` to the next page
 *    while there is one (the cursor is opaque to clients, like the Hub's).
 * It records every request (path and whether it carried a bearer token) and can be told to answer
 * the first requests with a status (429 with Retry-After: 0, 503 …), to redirect, or to link to
 * another origin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubEntry {
  id: string;
  tags?: string[];
  author?: string;
  [field: string]: unknown;
}

export interface FakeHubOptions {
  /** Full model infos, served by GET /api/models/{id}. */
  infos?: HubEntry[];
  /** List entries, served (filtered, paged) by GET /api/models. */
  list?: HubEntry[];
  /** Statuses to answer the first requests with, in order (then normal answers). */
  failFirst?: number[];
  /** Put this origin in the `next` links instead of the server's own (a hostile Hub). */
  nextOrigin?: string;
  /** Paths answered with a 301 to a Location (a renamed repository, or a hostile redirect). */
  redirects?: Record<string, string>;
}

export interface FakeHub {
  url: string;
  /** Every request: its path with query, and its Authorization header. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const requests: FakeHub['requests'] = [];
  const failures = [...(options.failFirst ?? [])];
  let origin = '';
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', origin);
    requests.push({ path: `${url.pathname}${url.search}`, authorization: request.headers.authorization });
    const failure = failures.shift();
    if (failure !== undefined) {
      send(response, failure, { error: `fake failure ${failure}` }, failure === 429 ? { 'retry-after': '0' } : {});
      return;
    }
    if (request.method !== 'GET') return send(response, 405, { error: 'Method not allowed' });
    const moved = options.redirects?.[url.pathname];
    if (moved !== undefined) return send(response, 301, { error: 'Moved' }, { location: moved });
    const one = /^\/api\/models\/([^/]+\/[^/]+|[^/]+)$/.exec(url.pathname);
    if (one) {
      const id = decodeURIComponent(one[1]!).toLowerCase();
      const info = (options.infos ?? []).find((entry) => entry.id.toLowerCase() === id);
      return info ? send(response, 200, info) : send(response, 404, { error: 'Repository not found' });
    }
    if (url.pathname !== '/api/models') return send(response, 404, { error: 'Not found' });
    const tag = url.searchParams.get('filter') ?? url.searchParams.get('other');
    const author = url.searchParams.get('author');
    const search = url.searchParams.get('search')?.toLowerCase();
    const matching = (options.list ?? []).filter(
      (entry) =>
        (tag === null || (entry.tags ?? []).includes(tag)) &&
        (author === null || entry.id.startsWith(`${author}/`)) &&
        (search === undefined || entry.id.toLowerCase().includes(search)),
    );
    const limit = Math.max(1, Number(url.searchParams.get('limit') ?? 1000));
    const cursor = url.searchParams.get('cursor');
    const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    const page = matching.slice(start, start + limit);
    const headers: Record<string, string> = {};
    if (start + limit < matching.length) {
      const next = new URL(url.toString());
      next.searchParams.set('cursor', Buffer.from(String(start + limit)).toString('base64url'));
      const target = options.nextOrigin ? `${options.nextOrigin}${next.pathname}${next.search}` : next.toString();
      headers.link = `<${target}>; rel="next"`;
    }
    send(response, 200, page, headers);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
