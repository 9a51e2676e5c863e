/**
 * The HTTP server and THE route table: every route the gateway answers, in one list, in order.
 * Plain node:http (no framework on the hot path): a route is an exact method + path match.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listCatalog, listEndpoints } from '../api/catalog.js';
import { chatCompletions } from '../api/chat-completions.js';
import { embeddings } from '../api/embeddings.js';
import { generation } from '../api/generation.js';
import { health } from '../api/health.js';
import { credits, topUp } from '../api/credits.js';
import { createKeyRoute, currentKey, disableKeyRoute, listKeysRoute, updateKeyRoute } from '../api/keys.js';
import { usageExport } from '../api/usage.js';
import { countTokens, messages } from '../api/messages.js';
import { listModels } from '../api/models.js';
import { notFound } from '../spec/errors.js';
import type { Exchange, Gateway, RouteHandler } from './context.js';
import { sendError } from './errors.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The route table. OpenRouter's `/api/v1/...` spellings of the model routes are accepted too. */
export const ROUTES: ReadonlyArray<readonly [Method, string, RouteHandler]> = [
  ['GET', '/health', health],
  ['GET', '/v1/models', listModels],
  ['GET', '/api/v1/models', listCatalog],
  ['POST', '/v1/chat/completions', chatCompletions],
  ['POST', '/api/v1/chat/completions', chatCompletions],
  ['POST', '/v1/messages', messages],
  ['POST', '/v1/messages/count_tokens', countTokens],
  ['POST', '/v1/embeddings', embeddings],
  ['POST', '/api/v1/embeddings', embeddings],
  ['GET', '/api/v1/generation', generation],
  ['GET', '/api/v1/key', currentKey],
  ['GET', '/api/v1/keys', listKeysRoute],
  ['POST', '/api/v1/keys', createKeyRoute],
  ['DELETE', '/api/v1/keys', (exchange) => disableKeyRoute(exchange)],
  ['GET', '/api/v1/credits', credits],
  ['POST', '/api/v1/credits/topup', topUp],
  ['GET', '/api/v1/usage', usageExport],
];

/** Routes with path parameters, tried after the exact table. */
const PATTERNS: ReadonlyArray<readonly [Method, RegExp, (exchange: Exchange, ...parts: string[]) => Promise<void> | void]> = [
  ['GET', /^\/api\/v1\/models\/([^/]+)\/([^/]+)\/endpoints$/, listEndpoints],
  ['PATCH', /^\/api\/v1\/keys\/([^/]+)$/, updateKeyRoute],
  ['DELETE', /^\/api\/v1\/keys\/([^/]+)$/, disableKeyRoute],
];

const TABLE = new Map<string, RouteHandler>(ROUTES.map(([method, path, handler]) => [`${method} ${path}`, handler]));
const PATHS = new Set(ROUTES.map(([, path]) => path));

export function createGatewayServer(gateway: Gateway): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (request, response) =>
    handle(gateway, request, response),
  );
  return server;
}

function handle(gateway: Gateway, request: IncomingMessage, response: ServerResponse): void {
  const startedAt = performance.now();
  const url = request.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark === -1 ? url : url.slice(0, mark);
  const handler = TABLE.get(`${request.method} ${path}`) ?? matchPattern(request.method, path);
  const state = gateway.state;
  if (state.draining) response.setHeader('connection', 'close');
  if (!handler) {
    request.resume();
    const error = PATHS.has(path)
      ? notFound(`Method ${request.method} is not allowed on ${path}.`, 'method_not_allowed')
      : notFound(`Unknown route ${request.method} ${path}.`, 'unknown_route');
    sendError(response, error, gateway.logger);
    return;
  }
  state.inFlight++;
  let counted = true;
  const release = (): void => {
    if (!counted) return;
    counted = false;
    state.inFlight--;
  };
  response.once('close', release);
  const exchange: Exchange = {
    request, response, gateway, path,
    query: new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1)),
    startedAt,
  };
  let result: Promise<void> | void;
  try {
    result = handler(exchange);
  } catch (error) {
    fail(exchange, error);
    return;
  }
  if (result) result.catch((error: unknown) => fail(exchange, error));
}

function matchPattern(method: string | undefined, path: string): RouteHandler | undefined {
  for (const [patternMethod, pattern, handler] of PATTERNS) {
    if (patternMethod !== method) continue;
    const match = pattern.exec(path);
    if (match) return (exchange) => handler(exchange, ...match.slice(1).map((part) => decodeURIComponent(part)));
  }
  return undefined;
}

function fail(exchange: Exchange, error: unknown): void {
  const { request, response } = exchange;
  // A refused body (413) leaves unread bytes on the socket: close it after this answer.
  const closeAfter = !request.complete;
  sendError(response, error, exchange.gateway.logger, closeAfter ? { connection: 'close' } : undefined);
  if (closeAfter) request.resume();
}
