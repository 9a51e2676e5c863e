/** The OpenAI surface: canonical answers and chunks are already in its shape; streams end with `data: [DONE]`. */
import { sendError, streamErrorChunk } from '../http/errors.js';
import { dataFrame } from '../http/sse-writer.js';
import type { ChatChunk } from '../contract/chat-event.js';
import type { ChatSurface, StreamEncoder } from './surface.js';

class OpenAIEncoder implements StreamEncoder {
  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  chunk(chunk: ChatChunk): string {
    return dataFrame(chunk);
  }

  end(usageChunk: ChatChunk): string {
    return dataFrame(usageChunk) + dataFrame('[DONE]');
  }

  error(error: Parameters<StreamEncoder['error']>[0], provider: string): string {
    return dataFrame(streamErrorChunk(error, this.id, this.model, provider)) + dataFrame('[DONE]');
  }
}

export const OPENAI_SURFACE: ChatSurface = {
  name: 'openai',
  answer: (body) => body,
  encoder: (id, model) => new OpenAIEncoder(id, model),
  sendError: (response, error, logger, headers) => {
    sendError(response, error, logger, headers);
  },
};
