/** Small response helpers shared by the routes. */
import type { ServerResponse } from 'node:http';
import type { Exchange } from './context.js';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/**
 * An AbortSignal that fires when the client goes away before the response has ended, so the
 * upstream call is cancelled at once (within the same tick as the socket close).
 */
export function abortOnDisconnect(exchange: Exchange): AbortController {
  const controller = new AbortController();
  const { response } = exchange;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller;
}
