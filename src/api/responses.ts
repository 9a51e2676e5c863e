/**
 * OpenAI's Responses API. POST /v1/responses — parse (with the stored conversation of
 * `previous_response_id`) → the chat lifecycle → render as a Response or the Responses event
 * stream; with `store` (the default) the Response is kept for its owner. GET and DELETE
 * /v1/responses/{id} — a stored Response, seen only by its owner (an account; a key without one).
 */
import type { KeyRecord } from '../catalog/key-directory.js';
import { invalidRequest, notFound } from '../contract/errors.js';
import type { Exchange } from '../gateway.js';
import { authenticate } from '../http/auth.js';
import { openAIErrorBody, openRouterErrorBody } from '../http/errors.js';
import { limitRequests } from '../http/rate-limit.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { sendJson } from '../http/respond.js';
import { serveChat } from '../lifecycle/chat.js';
import { parseResponsesRequest } from '../surfaces/responses/parse-request.js';
import { responsesSurface } from '../surfaces/responses/surface.js';

/** Who a stored Response belongs to: the key's account, or the key itself when it has none. */
function ownerOf(key: KeyRecord): string {
  return key.accountId ?? `key:${key.id}`;
}

export async function createResponse(exchange: Exchange): Promise<void> {
  const { request, gateway } = exchange;
  const authenticated = authenticate(request.headers, gateway.keys);
  const key = authenticated instanceof Promise ? await authenticated : authenticated;
  if (key.rpm !== null) await limitRequests(gateway.limiter, key, exchange.response);
  const raw = await readBody(request, gateway.config.server.bodyLimitBytes);
  const body = parseJsonBody(raw);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('Invalid request body: expected a JSON object.', null, 'invalid_body');
  }
  const input = body as Record<string, unknown>;
  const owner = ownerOf(key);
  let history: Record<string, unknown>[] = [];
  const previousId = input.previous_response_id;
  if (previousId !== undefined && previousId !== null) {
    if (typeof previousId !== 'string' || previousId === '' || previousId.length > 200) {
      throw invalidRequest("Invalid type for 'previous_response_id': expected a response id.", 'previous_response_id', 'invalid_type');
    }
    // A conversation continued on this process is in memory; an older one costs one indexed read.
    const previous = await gateway.responses.find(previousId, owner);
    if (!previous)
      throw invalidRequest(`Previous response with id '${previousId}' not found.`, 'previous_response_id', 'previous_response_not_found');
    const output = Array.isArray(previous.response.output) ? (previous.response.output as Record<string, unknown>[]) : [];
    history = [...(previous.inputItems as Record<string, unknown>[]), ...output];
  }
  const { chat, context } = parseResponsesRequest(input, history);
  const surface = responsesSurface(
    context,
    (response) => {
      if (!context.store) return;
      gateway.responses.save({
        id: String(response.id),
        owner,
        model: String(response.model),
        previousResponseId: context.previousResponseId,
        inputItems: [...context.history, ...context.inputItems],
        response,
        createdAt: Date.now(),
      });
    },
    exchange.path.startsWith('/api/') ? openRouterErrorBody : openAIErrorBody,
  );
  await serveChat(gateway.lifecycle, exchange, key, raw, chat, surface);
}

export async function getResponse(exchange: Exchange, id: string): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  const stored = await gateway.responses.find(id, ownerOf(key));
  if (!stored) throw notFound(`Response with id '${id.slice(0, 200)}' not found.`, 'response_not_found');
  sendJson(exchange.response, 200, stored.response);
}

export async function deleteResponse(exchange: Exchange, id: string): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  if (!(await gateway.responses.delete(id, ownerOf(key))))
    throw notFound(`Response with id '${id.slice(0, 200)}' not found.`, 'response_not_found');
  sendJson(exchange.response, 200, { id, object: 'response.deleted', deleted: true });
}
