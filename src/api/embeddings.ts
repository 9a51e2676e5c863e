/**
 * POST /v1/embeddings (OpenAI Embeddings) — parse → lifecycle (`lifecycle/embeddings.ts`) → render in OpenAI's shape;
 * on POST /api/v1/embeddings errors leave in OpenRouter's shape.
 */
import type { Exchange } from '../gateway.js';
import { authenticate } from '../http/auth.js';
import { readJsonBody } from '../http/read-body.js';
import { limitRequests } from '../http/rate-limit.js';
import { serveEmbeddings } from '../lifecycle/embeddings.js';
import { parseEmbeddingRequest } from '../contract/chat-request.js';
import { surfaceForPath } from '../surfaces/openrouter.js';

export async function embeddings(exchange: Exchange): Promise<void> {
  const { request, response, gateway } = exchange;
  const key = await authenticate(request.headers, gateway.keys);
  await limitRequests(gateway.limiter, key, response);
  const embedding = parseEmbeddingRequest(await readJsonBody(request, gateway.config.server.bodyLimitBytes));
  await serveEmbeddings(gateway.lifecycle, exchange, key, embedding, surfaceForPath(exchange.path));
}
