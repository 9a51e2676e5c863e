/**
 * The OpenRouter surface (`/api/v1/chat/completions`, `/api/v1/embeddings`): answers and chunks in
 * OpenAI's shape, as OpenRouter sends them, and errors in OpenRouter's `{error: {code: <status>,
 * message, metadata}}`. OpenRouter's SDK validates every chunk: a chunk's `usage` and
 * `system_fingerprint` are optional there but never null, so a `null` an upstream sent on every
 * chunk (OpenAI's `stream_options.include_usage` does) is left out rather than passed on.
 */
import { openRouterErrorBody, sendError, streamErrorChunk } from '../http/errors.js';
import { dataFrame } from '../http/sse-writer.js';
import type { ChatChunk } from '../contract/chat-event.js';
import { OPENAI_SURFACE } from './openai.js';
import type { ChatSurface, StreamEncoder } from './surface.js';

/** Drops the keys OpenRouter sends only with a value (set to undefined, not deleted: JSON.stringify skips them and the object keeps its shape). */
function withoutNulls(chunk: ChatChunk): ChatChunk {
  if (chunk.usage === null) chunk.usage = undefined;
  if (chunk.system_fingerprint === null) chunk.system_fingerprint = undefined;
  return chunk;
}

class OpenRouterEncoder implements StreamEncoder {
  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  chunk(chunk: ChatChunk): string {
    return dataFrame(withoutNulls(chunk));
  }

  end(usageChunk: ChatChunk): string {
    return dataFrame(withoutNulls(usageChunk)) + dataFrame('[DONE]');
  }

  error(error: Parameters<StreamEncoder['error']>[0], provider: string): string {
    return dataFrame(streamErrorChunk(error, this.id, this.model, provider)) + dataFrame('[DONE]');
  }
}

export const OPENROUTER_SURFACE: ChatSurface = {
  name: 'openrouter',
  answer: (body) => body,
  encoder: (id, model) => new OpenRouterEncoder(id, model),
  sendError: (response, error, logger, headers) => {
    sendError(response, error, logger, headers, openRouterErrorBody);
  },
};

/** The surface of an OpenAI-shaped route: OpenRouter's on its `/api/v1/` spelling, OpenAI's on `/v1/`. */
export function surfaceForPath(path: string): ChatSurface {
  return path.startsWith('/api/v1/') ? OPENROUTER_SURFACE : OPENAI_SURFACE;
}
