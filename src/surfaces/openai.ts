/** The OpenAI surface: canonical answers and chunks are already in its shape; streams end with `data: [DONE]`. */
import { sendError, streamErrorChunk } from '../http/errors.js';
import type { ChatChunk } from '../contract/chat-event.js';
import type { ChatSurface, StreamEncoder } from './surface.js';

class OpenAIEncoder implements StreamEncoder {
  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  chunk(chunk: ChatChunk): string {
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  end(usageChunk: ChatChunk): string {
    return `data: ${JSON.stringify(usageChunk)}\n\ndata: [DONE]\n\n`;
  }

  error(error: Parameters<StreamEncoder['error']>[0], provider: string): string {
    return `data: ${JSON.stringify(streamErrorChunk(error, this.id, this.model, provider))}\n\ndata: [DONE]\n\n`;
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
