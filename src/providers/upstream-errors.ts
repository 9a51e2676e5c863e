/**
 * Upstream HTTP error bodies → UpstreamError, for every HTTP adapter. Servers disagree on the error
 * shape: OpenAI/DeepSeek/vLLM send `{error: {message, type, code}}`, some llama.cpp and Ollama
 * builds send `{error: "text"}`, FastAPI-based servers `{detail: ...}`, others plain text.
 */
import { UpstreamError } from '../spec/errors.js';

/** Status the gateway answers for an upstream status (OpenRouter's mapping). */
function gatewayStatus(upstreamStatus: number): { status: number; retryable: boolean } {
  if (upstreamStatus === 429) return { status: 429, retryable: true };
  if (upstreamStatus === 408 || upstreamStatus === 504) return { status: 504, retryable: true };
  if (upstreamStatus === 503 || upstreamStatus === 529) return { status: 503, retryable: true };
  if (upstreamStatus >= 500) return { status: 502, retryable: true };
  // The gateway's own credentials or the endpoint's model name are wrong: another endpoint may work.
  if (upstreamStatus === 401 || upstreamStatus === 403 || upstreamStatus === 404) return { status: 502, retryable: true };
  // The request itself is at fault (bad parameter, context too long): the same at every endpoint.
  return { status: upstreamStatus, retryable: false };
}

/** Pulls a human-readable message out of an error body. */
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
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
}

const KEY_LIKE = /\b(sk|pk|rk|key|AIza)[-_A-Za-z0-9]{12,}/g;

/** Removes anything that looks like a credential from a message that will reach a client or a log. */
export function redactSecrets(message: string, secret?: string): string {
  let out = secret && secret.length >= 8 ? message.split(secret).join('***') : message;
  out = out.replace(KEY_LIKE, (match) => `${match.slice(0, 3)}***`);
  return out;
}

export function httpStatusError(
  upstreamStatus: number, bodyText: string, providerName: string, apiKey: string | undefined, retryAfter: string | undefined,
): UpstreamError {
  const { status, retryable } = gatewayStatus(upstreamStatus);
  const message = redactSecrets(upstreamMessage(bodyText), apiKey);
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) headers['retry-after'] = retryAfter;
  return new UpstreamError(`${providerName} returned ${upstreamStatus}: ${message}`, {
    status,
    code: status === 429 ? 'upstream_rate_limited' : upstreamStatus >= 500 ? 'upstream_error' : `upstream_${upstreamStatus}`,
    retryable,
    headers,
    metadata: { provider_name: providerName, provider_code: upstreamStatus, raw: message },
  });
}

export function malformedResponse(providerName: string, detail: string): UpstreamError {
  return new UpstreamError(`${providerName} sent a malformed response: ${detail}`, {
    status: 502, code: 'upstream_malformed_response', metadata: { provider_name: providerName },
  });
}

/** An error object sent with status 200 (in a JSON body or an SSE event). */
export function inBandError(parsed: Record<string, unknown>, providerName: string, apiKey?: string): UpstreamError {
  const error = parsed.error as Record<string, unknown>;
  const numeric = typeof error?.code === 'number' ? error.code : Number(error?.status);
  const status = Number.isInteger(numeric) && numeric >= 400 && numeric < 500 ? numeric : 502;
  return new UpstreamError(`${providerName} reported an error: ${redactSecrets(upstreamMessage(JSON.stringify(parsed)), apiKey)}`, {
    status, code: 'upstream_stream_error', metadata: { provider_name: providerName },
  });
}
