/**
 * GET /api/v1/generation?id=ID — one request's record (OpenRouter's shape, plus the attempts).
 * A key sees only its own generations; another key's id answers 404, so ids cannot be probed.
 * Records are written in batches a few milliseconds after the response: a just-finished id may
 * need a flush first, which this route forces.
 */
import { authenticate } from '../http/auth.js';
import type { Exchange } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { nanosToUsd } from '../lib/money.js';
import { invalidRequest, notFound } from '../contract/errors.js';
import type { GenerationRow } from '../store/repos/generations.js';

export function generationData(row: GenerationRow): Record<string, unknown> {
  return {
    id: row.id,
    upstream_id: row.upstream_id,
    created_at: new Date(row.created_at).toISOString(),
    model: row.model,
    provider_name: row.provider,
    upstream_model: row.upstream_model,
    api_type: row.api === 'chat' ? 'completions' : row.api,
    streamed: row.streamed === 1,
    cancelled: row.status === 'cancelled',
    status: row.status,
    http_status: row.http_status,
    error: row.error_code ? { code: row.error_code, message: row.error_message } : null,
    finish_reason: row.finish_reason,
    latency: row.latency_ms,
    time_to_first_token: row.ttft_ms,
    tokens_prompt: row.prompt_tokens,
    tokens_completion: row.completion_tokens,
    native_tokens_prompt: row.prompt_tokens,
    native_tokens_completion: row.completion_tokens,
    native_tokens_cached: row.cached_tokens,
    native_tokens_reasoning: row.reasoning_tokens,
    native_tokens_cache_write: row.cache_write_tokens,
    usage_estimated: row.usage_estimated === 1,
    total_cost: row.cost === null ? null : nanosToUsd(row.cost),
    http_referer: row.app_referer,
    app_title: row.app_title,
    attempts: row.attempts ? (JSON.parse(row.attempts) as unknown) : [],
  };
}

export async function generation(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  const id = exchange.query.get('id');
  if (!id) throw invalidRequest("Missing required query parameter: 'id'.", 'id', 'missing_required_parameter');
  let row = await gateway.admin.findGeneration(id);
  if (!row) {
    await gateway.sink.flush(); // waits for a batch in flight too
    row = await gateway.admin.findGeneration(id);
  }
  if (!row || (!key.isAdmin && row.key_id !== key.id)) throw notFound(`No generation with id '${id}'.`, 'generation_not_found');
  sendJson(exchange.response, 200, { data: generationData(row) });
}
