/**
 * Upstream HTTP error bodies → UpstreamError, for every HTTP adapter. Servers disagree on the error
 * shape: OpenAI/DeepSeek/vLLM send `{error: {message, type, code}}`, some llama.cpp and Ollama
 * builds send `{error: "text"}`, FastAPI-based servers `{detail: ...}`, others plain text.
 */
import type { Secrets } from '../lib/secrets.js';
import { UpstreamError } from '../contract/errors.js';

/** Longest upstream message passed on (after redaction). */
export const MESSAGE_LIMIT = 500;

/** Status the gateway answers for an upstream status (OpenRouter's mapping). */
function gatewayStatus(upstreamStatus: number): { status: number; retryable: boolean } {
  // A redirect is never followed (the Location could point anywhere, a caller's SSRF target included):
  // the endpoint is misconfigured or moved, so it is an upstream failure and another endpoint may serve.
  if (upstreamStatus >= 300 && upstreamStatus < 400) return { status: 502, retryable: true };
  if (upstreamStatus === 429) return { status: 429, retryable: true };
  if (upstreamStatus === 408 || upstreamStatus === 504) return { status: 504, retryable: true };
  if (upstreamStatus === 503 || upstreamStatus === 529) return { status: 503, retryable: true };
  if (upstreamStatus >= 500) return { status: 502, retryable: true };
  // The gateway's own credentials or the endpoint's model name are wrong: another endpoint may work.
  if (upstreamStatus === 401 || upstreamStatus === 403 || upstreamStatus === 404) return { status: 502, retryable: true };
  // The request itself is at fault (bad parameter, context too long): the same at every endpoint.
  return { status: upstreamStatus, retryable: false };
}

/** Pulls a human-readable message out of an error body (whole: the caller redacts, then truncates). */
export function upstreamMessage(bodyText: string): string {
  const trimmed = bodyText.trim();
  if (trimmed === '') return '(empty body)';
  try {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    const error = parsed.error;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object' && typeof (error as Record<string, unknown>).message === 'string') {
      return (error as Record<string, unknown>).message as string;
    }
    if (typeof parsed.message === 'string') return parsed.message;
    if (parsed.detail !== undefined) return typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
  } catch {
    // not JSON: fall through to the text itself
  }
  return trimmed;
}

export function httpStatusError(
  upstreamStatus: number,
  bodyText: string,
  providerName: string,
  secrets: Secrets,
  retryAfter: string | undefined,
): UpstreamError {
  const { status, retryable } = gatewayStatus(upstreamStatus);
  const message =
    upstreamStatus >= 300 && upstreamStatus < 400
      ? `answered with a redirect, which the gateway does not follow (check the provider's base_url)`
      : secrets.redactAndTruncate(upstreamMessage(bodyText), MESSAGE_LIMIT);
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) headers['retry-after'] = retryAfter;
  return new UpstreamError(`${providerName} returned ${upstreamStatus}: ${message}`, {
    status,
    code:
      status === 429
        ? 'upstream_rate_limited'
        : upstreamStatus >= 500
          ? 'upstream_error'
          : upstreamStatus < 400
            ? 'upstream_redirect'
            : `upstream_${upstreamStatus}`,
    retryable,
    headers,
    metadata: { provider_name: providerName, provider_code: upstreamStatus, raw: message },
  });
}

export function malformedResponse(providerName: string, detail: string): UpstreamError {
  return new UpstreamError(`${providerName} sent a malformed response: ${detail}`, {
    status: 502,
    code: 'upstream_malformed_response',
    metadata: { provider_name: providerName },
  });
}

/** An error object sent with status 200 (in a JSON body or an SSE event). */
export function inBandError(parsed: Record<string, unknown>, providerName: string, secrets: Secrets): UpstreamError {
  const error = parsed.error as Record<string, unknown>;
  const numeric = typeof error?.code === 'number' ? error.code : Number(error?.status);
  const status = Number.isInteger(numeric) && numeric >= 400 && numeric < 500 ? numeric : 502;
  return new UpstreamError(
    `${providerName} reported an error: ${secrets.redactAndTruncate(upstreamMessage(JSON.stringify(parsed)), MESSAGE_LIMIT)}`,
    {
      status,
      code: 'upstream_stream_error',
      metadata: { provider_name: providerName },
    },
  );
}
