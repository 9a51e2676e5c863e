/**
 * POST /v1/chat/completions (OpenAI Chat Completions, plain or streamed) — parse → lifecycle → render:
 * authenticate → request rate limit → read and validate the body → the request's lifecycle
 * (`lifecycle/chat.ts`) with the OpenAI surface rendering answers, chunks and errors; on
 * POST /api/v1/chat/completions the OpenRouter surface (the same answers, OpenRouter's errors).
 */
import type { Exchange } from '../gateway.js';
import { authenticate } from '../http/auth.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { limitRequests } from '../http/rate-limit.js';
import { serveChat } from '../lifecycle/chat.js';
import { parseChatRequest } from '../contract/chat-request.js';
import { surfaceForPath } from '../surfaces/openrouter.js';

export async function chatCompletions(exchange: Exchange): Promise<void> {
  const { request, gateway } = exchange;
  const authenticated = authenticate(request.headers, gateway.keys);
  const key = authenticated instanceof Promise ? await authenticated : authenticated;
  if (key.rpm !== null) await limitRequests(gateway.limiter, key, exchange.response);
  const raw = await readBody(request, gateway.config.server.bodyLimitBytes);
  await serveChat(gateway.lifecycle, exchange, key, raw, parseChatRequest(parseJsonBody(raw)), surfaceForPath(exchange.path));
}
