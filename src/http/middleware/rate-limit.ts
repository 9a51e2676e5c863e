/**
 * Per-key request and token limits (rpm, tpm). Sets OpenAI's `x-ratelimit-*` headers on the
 * response and throws 429 with `Retry-After` when a limit is spent.
 *
 * @example
 * await limitRequests(gateway, key, response);               // right after authentication
 * await limitTokens(gateway, key, response, promptEstimate); // once the body is parsed
 * void debitTokens(gateway, key, completionTokens);          // after the answer
 */
import type { ServerResponse } from 'node:http';
import type { KeyRecord } from '../../catalog/keys.js';
import type { LimitResult } from '../../metering/rate-limit.js';
import { AgoraError } from '../../spec/errors.js';
import type { Gateway } from '../context.js';

function setHeaders(response: ServerResponse, kind: 'requests' | 'tokens', result: LimitResult): void {
  response.setHeader(`x-ratelimit-limit-${kind}`, String(result.limit));
  response.setHeader(`x-ratelimit-remaining-${kind}`, String(result.remaining));
  response.setHeader(`x-ratelimit-reset-${kind}`, `${result.resetSeconds}s`);
}

function refuse(kind: 'requests' | 'tokens', result: LimitResult): AgoraError {
  return new AgoraError(
    `Rate limit reached: ${result.limit} ${kind} per minute for this key. Retry in ${result.retryAfterSeconds} s.`,
    {
      status: 429, kind: 'rate_limit_exceeded', type: 'rate_limit_error', code: 'rate_limit_exceeded', retryable: true,
      headers: { 'retry-after': String(result.retryAfterSeconds) },
      metadata: { limit_source: kind === 'requests' ? 'rpm' : 'tpm', limit: result.limit },
    },
  );
}

export async function limitRequests(gateway: Gateway, key: KeyRecord, response: ServerResponse): Promise<void> {
  if (key.rpm === null) return;
  const result = await gateway.limiter.check(`${key.id}:rpm`, key.rpm, 1);
  setHeaders(response, 'requests', result);
  if (!result.allowed) throw refuse('requests', result);
}

export async function limitTokens(gateway: Gateway, key: KeyRecord, response: ServerResponse, tokens: number): Promise<void> {
  if (key.tpm === null) return;
  const result = await gateway.limiter.check(`${key.id}:tpm`, key.tpm, Math.min(tokens, key.tpm));
  setHeaders(response, 'tokens', result);
  if (!result.allowed) throw refuse('tokens', result);
}

/** Counts the tokens an answer produced against the key's tpm (it may go into debt; later requests wait). */
export function debitTokens(gateway: Gateway, key: KeyRecord, tokens: number | undefined): void {
  if (key.tpm === null || !tokens || tokens <= 0) return;
  void Promise.resolve(gateway.limiter.check(`${key.id}:tpm`, key.tpm, tokens, Date.now(), true)).catch(() => undefined);
}
