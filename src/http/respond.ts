/** Small response helpers shared by the routes. */
import type { ServerResponse } from 'node:http';
import { CancelSource } from '../lib/cancel.js';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/**
 * Sends what `response` has written now instead of at the next tick: node corks a response's socket
 * on a write until the next tick, so a write made now waits for everything else done in this tick.
 */
export function sendWrittenNow(response: ServerResponse): void {
  response.socket?.uncork();
}

/** A request's cancel signal, and why it was cancelled. */
export class RequestCancel extends CancelSource {
  /** Cancelled because the gateway's shutdown grace ran out (the client is still there). */
  byShutdown = false;
}

const CANCEL = Symbol('agora.request-cancel');
type Cancellable = ServerResponse & { [CANCEL]?: RequestCancel };

/**
 * A signal cancelled when the client goes away before the response has ended, so the upstream
 * call is cancelled at once (within the same tick as the socket close) — or when the gateway's
 * shutdown grace runs out (`endForShutdown`, which sets `byShutdown`), so the request can still end
 * cleanly. The signal rides on the response itself: nothing is registered per request.
 */
export function abortOnDisconnect(response: ServerResponse): RequestCancel {
  const source = new RequestCancel();
  (response as Cancellable)[CANCEL] = source;
  response.once('close', () => {
    if (!response.writableFinished) source.cancel();
  });
  return source;
}

/** Ends the request `response` answers, as the shutdown grace ran out; false when it has no lifecycle running. */
export function endForShutdown(response: ServerResponse): boolean {
  const source = (response as Cancellable)[CANCEL];
  if (!source || source.aborted || response.writableEnded) return false;
  source.byShutdown = true;
  source.cancel();
  return true;
}

/**
 * Sends a JSON answer whose charge is still committing: everything but the last byte goes out at
 * once (nothing before the first byte waits on the database), the last byte only after
 * `settlement` resolves — so a client holding the complete body has been charged for it exactly
 * once. If the settlement fails, the connection is cut and the body stays incomplete. `sent` is
 * called once those first bytes have left (the socket written, not corked until the next tick).
 */
export async function sendJsonAfterSettlement(
  response: ServerResponse,
  text: string,
  headers: Record<string, string>,
  settlement: Promise<unknown> | undefined,
  sent?: () => void,
): Promise<boolean> {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  if (!settlement) {
    response.end(text);
    return true;
  }
  response.write(text.slice(0, -1));
  if (sent) {
    sendWrittenNow(response);
    sent();
  }
  try {
    await settlement;
  } catch {
    response.destroy();
    return false;
  }
  response.end(text.slice(-1));
  return true;
}

/** Replays a stored answer for a repeated Idempotency-Key. */
export function replayStored(response: ServerResponse, stored: { status: number; headers: Record<string, string>; body: string }): void {
  response.writeHead(stored.status, {
    ...stored.headers,
    'content-length': String(Buffer.byteLength(stored.body)),
    'x-agora-idempotent-replay': 'true',
  });
  response.end(stored.body);
}
