/**
 * The OpenAI surface: canonical answers and chunks are already in its shape; streams end with
 * `data: [DONE]`. It takes pass-through chunks (`contract/raw-chunk.ts`) from
 * OpenAI-compatible upstreams unless `AGORA_FAST_PATH=0` (or `FAST_PATH.enabled = false`) forces
 * the full parse-and-serialise path.
 */
import { sendError, streamErrorChunk } from '../http/errors.js';
import { dataFrame } from '../http/sse-writer.js';
import type { ChatChunk } from '../contract/chat-event.js';
import { RawChunk } from '../contract/raw-chunk.js';
import type { ChatSurface, StreamEncoder } from './surface.js';

class OpenAIEncoder implements StreamEncoder {
  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  chunk(chunk: ChatChunk): string {
    return chunk instanceof RawChunk ? chunk.frame() : dataFrame(chunk);
  }

  end(usageChunk: ChatChunk): string {
    return dataFrame(usageChunk) + dataFrame('[DONE]');
  }

  error(error: Parameters<StreamEncoder['error']>[0], provider: string): string {
    return dataFrame(streamErrorChunk(error, this.id, this.model, provider)) + dataFrame('[DONE]');
  }
}

/** The pass-through fast path's switch (on unless `AGORA_FAST_PATH=0`); the byte-equality test turns it off for the full path. */
export const FAST_PATH = { enabled: process.env.AGORA_FAST_PATH !== '0' };

export const OPENAI_SURFACE: ChatSurface = {
  name: 'openai',
  get passthrough() {
    return FAST_PATH.enabled;
  },
  answer: (body) => body,
  encoder: (id, model) => new OpenAIEncoder(id, model),
  sendError: (response, error, logger, headers) => {
    sendError(response, error, logger, headers);
  },
};
