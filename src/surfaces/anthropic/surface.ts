/** The Anthropic Messages surface (`POST /v1/messages`): answers, events and errors in Anthropic's shapes. */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger.js';
import { toAgoraError } from '../../spec/errors.js';
import type { ChatSurface } from '../surface.js';
import { anthropicErrorBody, anthropicMessage } from './response.js';
import { AnthropicStreamEncoder } from './stream.js';

export function sendAnthropicError(response: ServerResponse, thrown: unknown, logger: Logger, headers?: Record<string, string>): void {
  const error = toAgoraError(thrown);
  if (error.status >= 500 && error.code === 'internal_error') logger.error('internal error', { error: String(thrown) });
  if (response.headersSent) {
    if (!response.writableEnded) response.end();
    return;
  }
  if (response.destroyed) return;
  const body = JSON.stringify(anthropicErrorBody(error));
  response.writeHead(error.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(error.headers ?? {}), ...(headers ?? {}) });
  response.end(body);
}

export const ANTHROPIC_SURFACE: ChatSurface = {
  name: 'anthropic',
  answer: anthropicMessage,
  encoder: (id, model, promptTokens) => new AnthropicStreamEncoder(id, model, promptTokens),
  sendError: sendAnthropicError,
};
