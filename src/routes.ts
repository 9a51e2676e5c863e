/**
 * THE route table: every route the gateway answers, in one list, in order (a route is an exact
 * method + path match; routes with path parameters are tried after). `dispatch` turns a request
 * into an Exchange, counts it in flight, runs its route and maps whatever it throws to the wire.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listCatalog, listEndpoints, listProviders } from './api/catalog.js';
import { lineageFamilies, lineageOf } from './api/lineage.js';
import { chatCompletions } from './api/chat-completions.js';
import { credits, topUp } from './api/credits.js';
import { embeddings } from './api/embeddings.js';
import { generation } from './api/generation.js';
import { health } from './api/health.js';
import { createKeyRoute, currentKey, disableKeyRoute, listKeysRoute, updateKeyRoute, getKeyRoute } from './api/key-admin.js';
import { countTokens, messages } from './api/messages.js';
import { listModels } from './api/models.js';
import { usageExport } from './api/usage.js';
import { rankingsRoute } from './api/rankings.js';
import { leaderboardRoute } from './api/leaderboard.js';
import { consoleAsset, consoleIndex } from './api/console.js';
import { auditLog, createPolicy, deletePolicy, getPolicy, listPolicies, patchProvider, policyCheck, putPolicy } from './api/governance.js';
import { createResponse, deleteResponse, getResponse } from './api/responses.js';
import type { Exchange, Gateway, RouteHandler } from './gateway.js';
import { openAIErrorBody, openRouterErrorBody, sendError, type ErrorRenderer } from './http/errors.js';
import { anthropicErrorBody } from './surfaces/anthropic/render-message.js';
import type { Dispatch } from './http/server.js';
import { invalidRequest, notFound } from './contract/errors.js';
import type { RouteStats } from './telemetry/telemetry.js';
import { metricsRoute } from './api/metrics.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The route table. OpenRouter's `/api/v1/...` spellings of the model routes are accepted too. */
export const ROUTES: ReadonlyArray<readonly [Method, string, RouteHandler]> = [
  ['GET', '/', consoleIndex],
  ['GET', '/health', health],
  ['GET', '/metrics', metricsRoute],
  ['GET', '/v1/models', listModels],
  ['GET', '/api/v1/models', listCatalog],
  ['GET', '/api/v1/lineage/families', lineageFamilies],
  ['GET', '/api/v1/providers', listProviders],
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
  ['GET', '/api/v1/rankings', rankingsRoute],
  ['GET', '/api/v1/leaderboard', leaderboardRoute],
  ['GET', '/api/v1/policies', listPolicies],
  ['POST', '/api/v1/policies', createPolicy],
  ['GET', '/api/v1/policy/check', policyCheck],
  ['GET', '/api/v1/audit', auditLog],
  ['POST', '/v1/responses', createResponse],
  ['POST', '/api/v1/responses', createResponse],
];

/** Routes with path parameters, tried after the exact table. */
export const PATTERNS: ReadonlyArray<readonly [Method, RegExp, (exchange: Exchange, ...parts: string[]) => Promise<void> | void]> = [
  ['GET', /^\/api\/v1\/models\/([^/]+)\/([^/]+)\/endpoints$/, listEndpoints],
  ['GET', /^\/api\/v1\/lineage\/([^/]+)\/([^/]+)$/, lineageOf],
  ['GET', /^\/api\/v1\/keys\/([^/]+)$/, getKeyRoute],
  ['PATCH', /^\/api\/v1\/keys\/([^/]+)$/, updateKeyRoute],
  ['DELETE', /^\/api\/v1\/keys\/([^/]+)$/, disableKeyRoute],
  ['GET', /^\/assets\/([^/]+)$/, consoleAsset],
  ['GET', /^\/api\/v1\/policies\/([^/]+)$/, getPolicy],
  ['PUT', /^\/api\/v1\/policies\/([^/]+)$/, putPolicy],
  ['DELETE', /^\/api\/v1\/policies\/([^/]+)$/, deletePolicy],
  ['PATCH', /^\/api\/v1\/providers\/([^/]+)$/, patchProvider],
  ['GET', /^\/v1\/responses\/([^/]+)$/, getResponse],
  ['DELETE', /^\/v1\/responses\/([^/]+)$/, deleteResponse],
  ['GET', /^\/api\/v1\/responses\/([^/]+)$/, getResponse],
  ['DELETE', /^\/api\/v1\/responses\/([^/]+)$/, deleteResponse],
];

const TABLE = new Map<string, RouteHandler>(ROUTES.map(([method, path, handler]) => [`${method} ${path}`, handler]));
const PATHS = new Set(ROUTES.map(([, path]) => path));

/**
 * The error shape of a path: Anthropic's on the Messages routes, OpenRouter's (`code` the HTTP
 * status, as its SDK expects) on every `/api/v1/` route, OpenAI's everywhere else.
 */
export function errorShapeFor(path: string): ErrorRenderer {
  if (path.startsWith('/api/v1/')) return openRouterErrorBody;
  return path === '/v1/messages' || path === '/v1/messages/count_tokens' ? anthropicErrorBody : openAIErrorBody;
}

/** A pattern route's label in metrics: its path with `{param}` for each part (`/api/v1/keys/{param}`). */
const PATTERN_LABELS = new Map(
  PATTERNS.map(([method, pattern]) => [
    pattern,
    `${method} ${pattern.source
      .replace(/^\^|\$$/g, '')
      .replace(/\((?:[^()\\]|\\.)*\)/g, '{param}')
      .replace(/\\(.)/g, '$1')}`,
  ]),
);

/** The gateway's dispatch: route lookup, the Exchange, in-flight counting, and errors mapped once. */
export function dispatcher(gateway: Gateway): Dispatch {
  // Each route's metrics children, resolved once: a request costs one Map lookup by the key it already built.
  const telemetry = gateway.lifecycle.telemetry;
  const stats = new Map<string, RouteStats | undefined>();
  for (const [method, path] of ROUTES) stats.set(`${method} ${path}`, telemetry.route(method, path));
  for (const label of PATTERN_LABELS.values())
    stats.set(label, telemetry.route(label.slice(0, label.indexOf(' ')), label.slice(label.indexOf(' ') + 1)));
  return (request, response) => route(gateway, request, response, stats);
}

function route(gateway: Gateway, request: IncomingMessage, response: ServerResponse, stats: Map<string, RouteStats | undefined>): void {
  const startedAt = performance.now();
  const url = request.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark === -1 ? url : url.slice(0, mark);
  const state = gateway.state;
  const key = `${request.method} ${path}`;
  let routeStats = stats.get(key);
  const handler = TABLE.get(key) ?? matchPattern(request.method, path, (label) => (routeStats = stats.get(label)));
  if (!handler) {
    request.resume();
    const error = PATHS.has(path)
      ? notFound(`Method ${request.method} is not allowed on ${path}.`, 'method_not_allowed')
      : notFound(`Unknown route ${request.method} ${path}.`, 'unknown_route');
    gateway.lifecycle.telemetry.error(sendError(response, error, gateway.logger, undefined, errorShapeFor(path)));
    gateway.lifecycle.telemetry.route('*', 'unmatched')?.done(404, performance.now() - startedAt);
    return;
  }
  state.inFlight++;
  let counted = true;
  const release = (): void => {
    if (!counted) return;
    counted = false;
    state.inFlight--;
    routeStats?.done(response.statusCode, performance.now() - startedAt);
    if (state.inFlight === 0) state.onIdle?.();
  };
  response.once('close', release);
  const exchange: Exchange = {
    request,
    response,
    gateway,
    path,
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

function matchPattern(method: string | undefined, path: string, matched?: (label: string) => void): RouteHandler | undefined {
  for (const [patternMethod, pattern, handler] of PATTERNS) {
    if (patternMethod !== method) continue;
    const match = pattern.exec(path);
    if (!match) continue;
    matched?.(PATTERN_LABELS.get(pattern)!);
    const parts: string[] = [];
    for (const part of match.slice(1)) {
      try {
        parts.push(decodeURIComponent(part));
      } catch {
        // A malformed percent-encoding (`%E0%A4%A`) is the client's mistake, not a gateway error.
        return () => {
          throw invalidRequest(`The path ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoding.`, null, 'invalid_path');
        };
      }
    }
    return (exchange) => handler(exchange, ...parts);
  }
  return undefined;
}

function fail(exchange: Exchange, error: unknown): void {
  const { request, response } = exchange;
  // A refused body (413) leaves unread bytes on the socket: close it after this answer.
  const closeAfter = !request.complete;
  const sent = sendError(
    response,
    error,
    exchange.gateway.logger,
    closeAfter ? { connection: 'close' } : undefined,
    errorShapeFor(exchange.path),
  );
  if (sent.status !== 499) exchange.gateway.lifecycle.telemetry.error(sent);
  if (closeAfter) request.resume();
}
