/**
 * The one mapper from AgoraError to the wire: OpenAI's `{"error": {message, type, param, code}}`
 * on OpenAI routes (plus OpenRouter's `metadata.error_type`), OpenRouter's `{"error": {code:
 * <status>, message, metadata}}` on `/api/v1/*`, and the SSE error chunk once a stream has
 * started. No stack trace or internal detail ever leaves here.
 */
import type { ServerResponse } from 'node:http';
import { toAgoraError, type AgoraError } from '../contract/errors.js';
import type { Logger } from '../lib/logger.js';

export function openAIErrorBody(error: AgoraError): Record<string, unknown> {
  return {
    error: {
      message: error.message,
      type: error.type,
      param: error.param,
      code: error.code,
      metadata: { error_type: error.kind, ...(error.metadata ?? {}) },
    },
  };
}

/**
 * OpenRouter's documented error (`{error: {code: <HTTP status>, message, metadata?}}`), which its
 * SDK turns into `NotFoundResponseError`, `UnauthorizedResponseError` and the rest. Agora's own
 * detail rides beside: `metadata.error_type` (OpenRouter's vocabulary), `metadata.reason` (the
 * string code OpenAI routes send as `error.code`, e.g. `model_not_found`), the error's metadata
 * (close matches, balance and need, upstream status …), and OpenAI's `type` and `param`.
 */
export function openRouterErrorBody(error: AgoraError): Record<string, unknown> {
  return {
    error: {
      code: error.status,
      message: error.message,
      metadata: { error_type: error.kind, reason: error.code, ...(error.metadata ?? {}) },
      type: error.type,
      param: error.param,
    },
  };
}

/** Renders an error as a surface's JSON body (OpenAI's by default, Anthropic's on /v1/messages, OpenRouter's on /api/v1/*). */
export type ErrorRenderer = (error: AgoraError) => unknown;

/**
 * Sends `thrown` as an error response in `render`'s shape (or, if headers went out already, ends
 * the response). Only a gateway bug (`internal_error`) is logged as an error; a client that left
 * (499) gets nothing and logs nothing.
 */
export function sendError(
  response: ServerResponse,
  thrown: unknown,
  logger: Logger,
  extraHeaders?: Record<string, string>,
  render: ErrorRenderer = openAIErrorBody,
): AgoraError {
  const error = toAgoraError(thrown);
  if (error.status >= 500 && error.code === 'internal_error') {
    const generationId = extraHeaders?.['x-agora-generation-id'];
    logger.error('internal error', { error: describeCause(thrown), ...(generationId ? { generation_id: generationId } : {}) });
  }
  if (error.status === 499) {
    logger.debug('client closed the connection before the answer');
    if (!response.destroyed) response.destroy();
    return error;
  }
  if (response.headersSent) {
    if (!response.writableEnded) response.end();
    return error;
  }
  if (response.destroyed) return error;
  const body = JSON.stringify(render(error));
  response.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(error.headers ?? {}),
    ...(extraHeaders ?? {}),
  });
  response.end(body);
  return error;
}

/** The final chunk of a stream that failed after its first byte (OpenRouter's shape). */
export function streamErrorChunk(thrown: unknown, id: string, model: string, provider: string | undefined): Record<string, unknown> {
  const error = toAgoraError(thrown);
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    ...(provider ? { provider } : {}),
    error: { code: error.status, message: error.message, type: error.type, metadata: { error_type: error.kind } },
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: null }],
  };
}

/** A cause chain for logs: names and messages only (messages here come from our own code and libraries, never request bodies). */
export function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const item = current as { name?: string; message?: string; code?: string; cause?: unknown; stack?: string };
    parts.push(`${item.name ?? 'Error'}${item.code ? `[${item.code}]` : ''}: ${item.message ?? String(current)}`);
    current = item.cause;
  }
  return parts.join(' <- ');
}
