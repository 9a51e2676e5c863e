/**
 * Per-key request and token limits (rpm, tpm). Sets OpenAI's `x-ratelimit-*` headers on the
 * response and throws 429 with `Retry-After` when a limit is spent.
 *
 * @example
 * await limitRequests(limiter, key, response);               // right after authentication
 * await limitTokens(limiter, key, response, promptEstimate); // once the body is parsed
 * debitTokens(limiter, key, completionTokens);                // after the answer
 */
import type { ServerResponse } from 'node:http';
import type { KeyRecord } from '../catalog/key-directory.js';
import type { Limiter, LimitResult } from '../metering/rate-limit.js';
import { AgoraError } from '../contract/errors.js';

function setHeaders(response: ServerResponse, kind: 'requests' | 'tokens', result: LimitResult): void {
  response.setHeader(`x-ratelimit-limit-${kind}`, String(result.limit));
  response.setHeader(`x-ratelimit-remaining-${kind}`, String(result.remaining));
  response.setHeader(`x-ratelimit-reset-${kind}`, `${result.resetSeconds}s`);
}

function refuse(kind: 'requests' | 'tokens', result: LimitResult): AgoraError {
  return new AgoraError(`Rate limit reached: ${result.limit} ${kind} per minute for this key. Retry in ${result.retryAfterSeconds} s.`, {
    status: 429,
    kind: 'rate_limit_exceeded',
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    retryable: true,
    headers: { 'retry-after': String(result.retryAfterSeconds) },
    metadata: { limit_source: kind === 'requests' ? 'rpm' : 'tpm', limit: result.limit },
  });
}

export async function limitRequests(limiter: Limiter, key: KeyRecord, response: ServerResponse): Promise<void> {
  if (key.rpm === null) return;
  const result = await limiter.check(`${key.id}:rpm`, key.rpm, 1);
  setHeaders(response, 'requests', result);
  if (!result.allowed) throw refuse('requests', result);
}

export async function limitTokens(limiter: Limiter, key: KeyRecord, response: ServerResponse, tokens: number): Promise<void> {
  if (key.tpm === null) return;
  const result = await limiter.check(`${key.id}:tpm`, key.tpm, Math.min(tokens, key.tpm));
  setHeaders(response, 'tokens', result);
  if (!result.allowed) throw refuse('tokens', result);
}

/** Counts the tokens an answer produced against the key's tpm (it may go into debt; later requests wait). */
export function debitTokens(limiter: Limiter, key: KeyRecord, tokens: number | undefined): void {
  if (key.tpm === null || !tokens || tokens <= 0) return;
  void Promise.resolve(limiter.check(`${key.id}:tpm`, key.tpm, tokens, Date.now(), true)).catch(() => undefined);
}
