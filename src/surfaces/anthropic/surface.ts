/** The Anthropic Messages surface (`POST /v1/messages`): answers, events and errors in Anthropic's shapes. */
import type { ServerResponse } from 'node:http';
import { sendError } from '../../http/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { ChatSurface } from '../surface.js';
import { anthropicErrorBody, anthropicMessage } from './render-message.js';
import { AnthropicStreamEncoder } from './render-events.js';

/** Sends an error in Anthropic's shape through the one mapper (`http/errors.ts`). */
export function sendAnthropicError(response: ServerResponse, thrown: unknown, logger: Logger, headers?: Record<string, string>): void {
  sendError(response, thrown, logger, headers, anthropicErrorBody);
}

export const ANTHROPIC_SURFACE: ChatSurface = {
  name: 'anthropic',
  answer: anthropicMessage,
  encoder: (id, model, promptTokens) => new AnthropicStreamEncoder(id, model, promptTokens),
  sendError: sendAnthropicError,
};
