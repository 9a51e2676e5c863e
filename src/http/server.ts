/**
 * The HTTP server: plain node:http (no framework on the hot path) with the connection-level rules —
 * deadlines, a per-address connection cap, CORS, parser errors in the API's shape. It knows no
 * route: `src/routes.ts` (the route table) is handed in as `dispatch`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerSettings } from '../config/types.js';
import type { Logger } from '../lib/logger.js';
import { AgoraError, invalidRequest } from '../contract/errors.js';
import { openAIErrorBody, type ErrorRenderer } from './errors.js';
import { endForShutdown } from './respond.js';

/** What the HTTP layer needs of the gateway. */
export interface HttpServerOptions {
  settings: ServerSettings;
  logger: Logger;
  /** The error shape of the route at `path` (Anthropic's on /v1/messages), for errors met before routing. */
  errorShapeFor?: (path: string) => ErrorRenderer;
  /** `draining`: answers carry `connection: close` (the gateway is stopping). */
  state: { draining: boolean };
}

/** A request that passed the connection-level checks, for the route table to answer. */
export type Dispatch = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The gateway's node:http server: deadlines for slow clients, a connection cap per client address,
 * CORS, errors of the HTTP parser answered in the API's shape; every other request goes to `dispatch`
 * (the route table, `src/routes.ts`).
 */
export function createHttpServer(options: HttpServerOptions, dispatch: Dispatch): Server {
  const { settings, logger } = options;
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      // Deadlines for slow clients (nginx's client_header_timeout / client_body_timeout): the whole
      // request must arrive within requestTimeout, its headers within headersTimeout; Node checks
      // open connections every connectionsCheckingInterval.
      headersTimeout: settings.headerTimeoutMs,
      requestTimeout: settings.bodyTimeoutMs,
      // Checking every second cost about 4% of chat throughput in an interleaved A/B (bench:overhead's
      // harness); half the header deadline (10 s by default) keeps the deadlines within 1.5× of their setting.
      connectionsCheckingInterval: Math.max(50, Math.min(10_000, Math.floor(settings.headerTimeoutMs / 2))),
    },
    (request, response) => handle(options, dispatch, request, response),
  );
  trackConnections(server);
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) =>
    answerClientError(error, socket, options),
  );
  if (settings.maxConnectionsPerClient > 0) capConnectionsPerClient(server, settings.maxConnectionsPerClient, logger);
  return server;
}

const CONNECTIONS = Symbol('agora.connections');
type Tracked = Server & { [CONNECTIONS]?: Set<Duplex> };

/** Every open connection (added and removed once per connection, not per request), for `endRunning`. */
function trackConnections(server: Server): void {
  const open = new Set<Duplex>();
  (server as Tracked)[CONNECTIONS] = open;
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

/**
 * The shutdown grace is over: every request still running ends now, as a client disconnect would
 * but cleanly (a stream gets its error event and terminator, is charged for what it delivered and
 * recorded). Returns how many were ended.
 */
export function endRunning(server: Server): number {
  let ended = 0;
  for (const socket of (server as Tracked)[CONNECTIONS] ?? []) {
    const response = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (response && endForShutdown(response)) ended++;
  }
  return ended;
}

/** A raw HTTP/1.1 answer in OpenAI's error shape, for sockets that have no ServerResponse (yet). */
function rawErrorResponse(error: AgoraError, render: ErrorRenderer = openAIErrorBody): string {
  const body = JSON.stringify(render(error));
  const extra = Object.entries(error.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${error.status} ${STATUS_TEXT[error.status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
};

/**
 * Errors Node's HTTP parser meets before a route runs: a request slower than its deadline (408),
 * headers too large (431), bytes that are not HTTP (400). Answered in the API's error shape when
 * nothing has been sent on the socket yet, then the connection is closed; none is a gateway error.
 */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex, options: HttpServerOptions): void {
  const { settings, logger } = options;
  const code = error.code ?? '';
  logger.debug('client error', { code });
  const current = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  let answer: AgoraError;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const { headerTimeoutMs, bodyTimeoutMs } = settings;
    answer = new AgoraError(
      `The request was not received in time (headers within ${headerTimeoutMs} ms, the whole request within ${bodyTimeoutMs} ms); the connection is closed.`,
      {
        status: 408,
        kind: 'timeout',
        type: 'invalid_request_error',
        code: 'request_timeout',
        retryable: false,
      },
    );
  } else if (code === 'HPE_HEADER_OVERFLOW') {
    answer = new AgoraError('The request headers are too large.', {
      status: 431,
      kind: 'invalid_request',
      type: 'invalid_request_error',
      code: 'headers_too_large',
    });
  } else {
    answer = invalidRequest('The request is not valid HTTP/1.1.', null, 'bad_http_request');
  }
  // The route's own error shape when the path is known (the request line was read).
  const path = current?.req?.url ?? /^[A-Z]+ (\S+)/.exec(error.rawPacket?.toString('latin1', 0, 2048) ?? '')?.[1];
  const render = path !== undefined && options.errorShapeFor ? options.errorShapeFor(path.split('?')[0]!) : openAIErrorBody;
  socket.end(rawErrorResponse(answer, render));
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * At most `limit` open connections per client address: one caller cannot take every file
 * descriptor of the process (and with it /health). Connections over the cap get a 429 and are closed.
 */
function capConnectionsPerClient(server: Server, limit: number, logger: Logger): void {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
    if (count <= limit) return;
    logger.warn('connection refused: too many open connections from one client', { limit });
    (socket as typeof socket & { [REFUSED]?: boolean })[REFUSED] = true;
    socket.end(
      rawErrorResponse(
        new AgoraError(`Too many open connections from this address (the limit is ${limit}).`, {
          status: 429,
          kind: 'rate_limit_exceeded',
          type: 'rate_limit_error',
          code: 'too_many_connections',
          headers: { 'retry-after': '1' },
        }),
      ),
    );
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
}

const REFUSED = Symbol('agora.refused-connection');

function handle(options: HttpServerOptions, dispatch: Dispatch, request: IncomingMessage, response: ServerResponse): void {
  if ((request.socket as typeof request.socket & { [REFUSED]?: boolean })[REFUSED]) {
    request.socket.destroy();
    return;
  }
  if (options.state.draining) response.setHeader('connection', 'close');
  const origin = request.headers.origin;
  if (origin !== undefined && applyCors(options, origin, request, response)) return;
  dispatch(request, response);
}

const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const CORS_HEADERS =
  'authorization, content-type, x-api-key, anthropic-version, anthropic-beta, http-referer, x-title, x-openrouter-title, x-openrouter-categories, x-openrouter-metadata, idempotency-key, x-stainless-os, x-stainless-lang, x-stainless-package-version, x-stainless-runtime, x-stainless-runtime-version, x-stainless-arch, x-stainless-retry-count, x-stainless-timeout, anthropic-dangerous-direct-browser-access';
const CORS_EXPOSED =
  'x-agora-generation-id, x-agora-provider, x-agora-attempts, x-agora-policy, x-agora-dropped-parameters, x-agora-adjusted-parameters, x-agora-idempotent-replay, retry-after, x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens';

/**
 * CORS for browser apps (`server.cors_origins`, closed by default). An allowed origin gets the
 * Access-Control headers on every answer; a preflight is answered here (204, or 403 for an origin
 * that is not allowed). Returns true when the request was answered.
 */
function applyCors(options: HttpServerOptions, origin: string | string[], request: IncomingMessage, response: ServerResponse): boolean {
  const allowed = options.settings.corsOrigins;
  const value = Array.isArray(origin) ? (origin[0] ?? '') : origin;
  const ok = allowed.includes('*') || allowed.includes(value);
  const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
  if (ok) {
    response.setHeader('access-control-allow-origin', allowed.includes('*') ? '*' : value);
    if (!allowed.includes('*')) response.setHeader('vary', 'Origin');
    if (!preflight) response.setHeader('access-control-expose-headers', CORS_EXPOSED);
  }
  if (!preflight) return false;
  request.resume();
  if (!ok) {
    const error = new AgoraError(
      `Origin ${JSON.stringify(value.slice(0, 200))} is not allowed; the operator lists allowed origins in server.cors_origins.`,
      {
        status: 403,
        kind: 'permission_denied',
        type: 'permission_error',
        code: 'cors_origin_not_allowed',
      },
    );
    const path = (request.url ?? '/').split('?')[0]!;
    const body = JSON.stringify((options.errorShapeFor?.(path) ?? openAIErrorBody)(error));
    response.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
    return true;
  }
  response.writeHead(204, {
    'access-control-allow-methods': CORS_METHODS,
    'access-control-allow-headers': CORS_HEADERS,
    'access-control-max-age': '600',
    'content-length': '0',
  });
  response.end();
  return true;
}
