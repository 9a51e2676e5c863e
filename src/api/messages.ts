/**
 * POST /v1/messages — Anthropic Messages, served by any upstream: authenticate (`x-api-key` or
 * Bearer) → rate limits → translate to the canonical request → the shared chat path (chat-completions.ts
 * `runChat`) → answers, stream events and errors in Anthropic's shapes.
 * POST /v1/messages/count_tokens — the gateway's estimate of the prompt, `{input_tokens}`.
 */
import { authenticate } from '../http/auth.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { limitRequests } from '../http/rate-limit.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { estimatePromptTokens } from '../lib/token-estimate.js';
import { anthropicToCanonical } from '../surfaces/anthropic/parse-messages.js';
import { ANTHROPIC_SURFACE, sendAnthropicError } from '../surfaces/anthropic/surface.js';
import { invalidRequest } from '../contract/errors.js';
import { serveChat } from '../lifecycle/chat.js';

export async function messages(exchange: Exchange): Promise<void> {
  const { request, gateway } = exchange;
  try {
    const authenticated = authenticate(request.headers, gateway.keys, true);
    const key = authenticated instanceof Promise ? await authenticated : authenticated;
    if (key.rpm !== null) await limitRequests(gateway.limiter, key, exchange.response);
    const raw = await readBody(request, gateway.config.server.bodyLimitBytes);
    await serveChat(gateway.lifecycle, exchange, key, raw, anthropicToCanonical(parseJsonBody(raw)), ANTHROPIC_SURFACE);
  } catch (error) {
    sendAnthropicError(exchange.response, error, gateway.logger, request.complete ? undefined : { connection: 'close' });
  }
}

export async function countTokens(exchange: Exchange): Promise<void> {
  const { request, gateway } = exchange;
  try {
    const authenticated = authenticate(request.headers, gateway.keys, true);
    if (authenticated instanceof Promise) await authenticated;
    const body = parseJsonBody(await readBody(request, gateway.config.server.bodyLimitBytes));
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw invalidRequest('Invalid request body: expected a JSON object.', null, 'invalid_body');
    const chat = anthropicToCanonical({ ...body, max_tokens: 1 });
    sendJson(exchange.response, 200, { input_tokens: estimatePromptTokens(chat.body.messages, chat.body.tools) });
  } catch (error) {
    sendAnthropicError(exchange.response, error, gateway.logger);
  }
}
