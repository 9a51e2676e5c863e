/**
 * The Responses API surface (`POST /v1/responses`): answers as Response objects, streams as the
 * Responses event sequence, errors in OpenAI's shape. One per request: it carries the request's
 * context (echoed settings, the conversation to store) and is told each complete Response.
 */
import { openAIErrorBody, sendError, type ErrorRenderer } from '../../http/errors.js';
import type { ChatSurface } from '../surface.js';
import type { ResponsesContext } from './parse-request.js';
import { ResponsesEventEncoder } from './render-events.js';
import { responseFromCompletion } from './render-response.js';

export function responsesSurface(
  context: ResponsesContext,
  onComplete: (response: Record<string, unknown>) => void,
  /** OpenAI's error shape on /v1/responses, OpenRouter's on /api/v1/responses. */
  renderError: ErrorRenderer = openAIErrorBody,
): ChatSurface {
  return {
    name: 'responses',
    answer: (body) => {
      const response = responseFromCompletion(body, context);
      onComplete(response);
      return response;
    },
    encoder: (id, model) => new ResponsesEventEncoder(id, model, context, onComplete),
    sendError: (response, error, logger, headers) => {
      sendError(response, error, logger, headers, renderError);
    },
  };
}
