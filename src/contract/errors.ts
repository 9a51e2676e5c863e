/**
 * Typed errors. Every failure that can reach a client is an `AgoraError`; only `http/errors.ts`
 * turns one into a wire shape (OpenAI JSON, Anthropic JSON or an SSE error chunk).
 * `retryable` tells the fallback loop whether another endpoint may be tried (408, 409, 429, 5xx).
 */

/** OpenRouter's stable `metadata.error_type` vocabulary (the subset we emit). */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission_denied'
  | 'payment_required'
  | 'not_found'
  | 'payload_too_large'
  | 'rate_limit_exceeded'
  | 'provider_unavailable'
  | 'provider_overloaded'
  | 'timeout'
  | 'server'
  | 'conflict'
  | 'unprocessable';

export interface AgoraErrorOptions {
  status: number;
  kind: ErrorKind;
  /** OpenAI's `error.type`. */
  type: string;
  /** OpenAI's `error.code`: a short machine-readable reason. */
  code: string;
  /** The request field at fault, when there is one (`messages[2].role`). */
  param?: string | null;
  retryable?: boolean;
  /** Extra, client-safe detail (close matches, upstream status, provider name). */
  metadata?: Record<string, unknown>;
  /** Headers to send with the error (`Retry-After`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AgoraError extends Error {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly metadata: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(message: string, options: AgoraErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgoraError';
    this.status = options.status;
    this.kind = options.kind;
    this.type = options.type;
    this.code = options.code;
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? isRetryableStatus(options.status);
    this.metadata = options.metadata;
    this.headers = options.headers;
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * A client's value as it may appear in an error message: a short string or number as it is,
 * anything else by its type. Never the whole value (it may be megabytes, or nested deep).
 */
export function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** A client-chosen key as it may appear in an error message (cut to 64 characters). */
export function fieldName(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** 400: the request is malformed; `param` names the field. */
export function invalidRequest(message: string, param: string | null = null, code = 'invalid_value'): AgoraError {
  return new AgoraError(message, { status: 400, kind: 'invalid_request', type: 'invalid_request_error', code, param });
}

export function unauthorized(message: string): AgoraError {
  return new AgoraError(message, { status: 401, kind: 'authentication', type: 'authentication_error', code: 'invalid_api_key' });
}

export function forbidden(message: string): AgoraError {
  return new AgoraError(message, { status: 403, kind: 'permission_denied', type: 'permission_error', code: 'forbidden' });
}

export function notFound(message: string, code = 'not_found', metadata?: Record<string, unknown>): AgoraError {
  return new AgoraError(message, {
    status: 404,
    kind: 'not_found',
    type: 'invalid_request_error',
    code,
    ...(metadata ? { metadata } : {}),
  });
}

export function payloadTooLarge(limitBytes: number): AgoraError {
  return new AgoraError(`Request body is larger than the limit of ${limitBytes} bytes.`, {
    status: 413,
    kind: 'payload_too_large',
    type: 'invalid_request_error',
    code: 'payload_too_large',
    metadata: { limit_bytes: limitBytes },
  });
}

/** 499: the client closed its connection before the gateway could answer (nothing is sent, nothing logged as an error). */
export function clientClosed(): AgoraError {
  return new AgoraError('The client closed the connection.', {
    status: 499,
    kind: 'invalid_request',
    type: 'invalid_request_error',
    code: 'client_closed_request',
    retryable: false,
  });
}

/** 503: the gateway is shutting down and ended the request (Retry-After: another instance, or this one restarted, will serve it). */
export function shuttingDown(): AgoraError {
  return new AgoraError('The gateway is shutting down; the request was ended. Retry it.', {
    status: 503,
    kind: 'provider_overloaded',
    type: 'server_error',
    code: 'gateway_shutting_down',
    retryable: true,
    headers: { 'retry-after': '1' },
  });
}

/** A failure on the way to or from an upstream provider (502/503/504, or the upstream's own 4xx/429). */
export class UpstreamError extends AgoraError {
  constructor(message: string, options: Omit<AgoraErrorOptions, 'type' | 'kind'> & { kind?: ErrorKind; type?: string }) {
    super(message, {
      ...options,
      kind: options.kind ?? kindForStatus(options.status),
      type:
        options.type ?? (options.status >= 500 ? 'upstream_error' : options.status === 429 ? 'rate_limit_error' : 'invalid_request_error'),
    });
    this.name = 'UpstreamError';
  }
}

function kindForStatus(status: number): ErrorKind {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 504 || status === 408) return 'timeout';
  if (status === 503) return 'provider_overloaded';
  if (status >= 500) return 'provider_unavailable';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission_denied';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  return 'invalid_request';
}

/** Converts anything thrown into an AgoraError without leaking internals to the client. */
export function toAgoraError(error: unknown): AgoraError {
  if (error instanceof AgoraError) return error;
  return new AgoraError('Internal error in the gateway.', {
    status: 500,
    kind: 'server',
    type: 'server_error',
    code: 'internal_error',
    cause: error,
  });
}
