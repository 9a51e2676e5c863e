/**
 * The one mapper from AgoraError to the wire: OpenAI's `{"error": {message, type, param, code}}`
 * on OpenAI routes (plus OpenRouter's `metadata.error_type`), and the SSE error chunk once a
 * stream has started. No stack trace or internal detail ever leaves here.
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

/** Renders an error as a surface's JSON body (OpenAI's by default, Anthropic's on /v1/messages). */
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
  if (error.status >= 500 && error.code === 'internal_error') logger.error('internal error', { error: describeCause(thrown) });
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
