/**
 * An inbound API surface: how a canonical answer leaves in the shape the request came in
 * (OpenAI Chat Completions or Anthropic Messages). The request path is the same for both; only
 * the rendering of answers, stream events and errors differs.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';
import type { ChatChunk, ChatCompletion } from '../contract/chat-event.js';
import type { AgoraError } from '../contract/errors.js';

export interface StreamEncoder {
  /** SSE frames for one canonical chunk ('' when it maps to nothing). */
  chunk(chunk: ChatChunk): string;
  /** The closing frames: final usage (with cost) and the surface's terminator. */
  end(usageChunk: ChatChunk): string;
  /** The frames for a failure after the first byte, terminator included. */
  error(error: AgoraError, provider: string): string;
}

export interface ChatSurface {
  readonly name: 'openai' | 'openrouter' | 'anthropic' | 'responses';
  /**
   * Whether answers leave in the upstream's OpenAI shape, so adapters may stream pass-through chunks
   * (`contract/raw-chunk.ts`) that this surface's encoder renders from the upstream's text, and return
   * whole answers as a `RawAnswer` that the lifecycle renders as it is, without `answer()`.
   */
  readonly passthrough?: boolean;
  /** The JSON body for a whole answer (a canonical completion already carrying the gateway's id, model and cost). */
  answer(body: ChatCompletion): unknown;
  encoder(id: string, model: string, promptTokens: number): StreamEncoder;
  /** Sends an error before any byte of the answer went out. */
  sendError(response: ServerResponse, error: unknown, logger: Logger, headers?: Record<string, string>): void;
}
