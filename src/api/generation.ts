/**
 * GET /api/v1/generation?id=ID — one request's record, in OpenRouter's shape (every field its API
 * documents and its SDK requires, then Agora's own: the attempts as Agora records them, status,
 * error, time to first token, cache writes, whether the usage is an estimate).
 * A key sees only its own generations; another key's id answers 404, so ids cannot be probed.
 * Records are written in batches a few milliseconds after the response: a just-finished id may
 * need a flush first, which this route forces.
 *
 * Where each value comes from: tokens, cost, latency, finish reason and app attribution from the
 * record; `provider_name` is the provider's display name from the catalog; `usage` and
 * `total_cost` are the charge (the upstream's list price, so `upstream_inference_cost` too);
 * `generation_time` is the time from the first streamed token to the end (null for a JSON
 * answer, whose first token the gateway does not see); `workspace_id` is the key's account.
 * What Agora does not record is null (moderation latency, media and search counts, native finish
 * reason when the upstream's word was not kept, user agent, session, service tier, app id), or
 * the documented value that holds for every Agora generation: `is_byok` false, `data_region`
 * `global` (no regional routing), `origin` the HTTP-Referer, or '' without one.
 */
import { authenticate } from '../http/auth.js';
import type { Exchange, Gateway } from '../gateway.js';
import { sendJson } from '../http/respond.js';
import { nanosToUsd } from '../lib/money.js';
import { invalidRequest, notFound } from '../contract/errors.js';
import { finishReasonFromOpenAI } from '../contract/finish-reason.js';
import type { AttemptRecord } from '../routing/execute.js';
import type { GenerationRow } from '../store/repos/generations.js';

/** OpenRouter's finish reason (stop, length, tool_calls, content_filter, error) from the one recorded; an unknown one as recorded. */
function unifiedFinishReason(raw: string | null): string | null {
  const known = finishReasonFromOpenAI(raw);
  return known === undefined ? null : known.unified === 'other' ? raw : known.unified;
}

export function generationData(
  row: GenerationRow,
  providerName: (id: string) => string = (id) => id,
  workspaceId: string | null = null,
): Record<string, unknown> {
  const attempts = row.attempts ? (JSON.parse(row.attempts) as AttemptRecord[]) : [];
  const charged = nanosToUsd(row.cost ?? 0);
  return {
    id: row.id,
    upstream_id: row.upstream_id,
    total_cost: charged,
    cache_discount: null,
    upstream_inference_cost: row.cost === null ? null : charged,
    created_at: new Date(row.created_at).toISOString(),
    model: row.model,
    app_id: null,
    streamed: row.streamed === 1,
    cancelled: row.status === 'cancelled',
    provider_name: row.provider === null ? null : providerName(row.provider),
    latency: row.latency_ms,
    moderation_latency: null,
    generation_time: row.streamed === 1 && row.ttft_ms !== null ? Math.max(0, row.latency_ms - row.ttft_ms) : null,
    finish_reason: unifiedFinishReason(row.finish_reason),
    native_finish_reason: row.finish_reason,
    tokens_prompt: row.prompt_tokens,
    tokens_completion: row.completion_tokens,
    native_tokens_prompt: row.prompt_tokens,
    native_tokens_completion: row.completion_tokens,
    native_tokens_completion_images: null,
    native_tokens_reasoning: row.reasoning_tokens,
    native_tokens_cached: row.cached_tokens,
    num_media_prompt: null,
    num_input_audio_prompt: null,
    num_media_completion: null,
    num_search_results: null,
    num_fetches: null,
    web_search_engine: null,
    origin: row.app_referer ?? '',
    usage: charged,
    is_byok: false,
    api_type: row.api === 'chat' ? 'completions' : row.api,
    router: null,
    // The providers called (status 0 marks an endpoint skipped without a call: it stays in `attempts` only).
    provider_responses: attempts
      .filter((attempt) => attempt.status !== 0)
      .map((attempt) => ({
        endpoint_id: attempt.endpoint,
        model_permaslug: attempt.model,
        provider_name: providerName(attempt.provider),
        status: attempt.status,
        latency: attempt.latency_ms,
        is_byok: false,
      })),
    user_agent: null,
    http_referer: row.app_referer,
    external_user: null,
    service_tier: null,
    data_region: 'global',
    preset_id: null,
    workspace_id: workspaceId,
    request_id: null,
    session_id: null,
    response_cache_source_id: null,
    // Agora's own.
    provider: row.provider,
    upstream_model: row.upstream_model,
    status: row.status,
    http_status: row.http_status,
    error: row.error_code ? { code: row.error_code, message: row.error_message } : null,
    time_to_first_token: row.ttft_ms,
    native_tokens_cache_write: row.cache_write_tokens,
    usage_estimated: row.usage_estimated === 1,
    app_title: row.app_title,
    attempts,
  };
}

/** A provider id's display name (OpenRouter names providers, e.g. "DeepSeek"); the id when the catalog no longer has it. */
function displayName(gateway: Gateway): (id: string) => string {
  return (id) => gateway.catalog.config.providers.get(id)?.name ?? id;
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
  const owner = row.key_id === key.id ? key.accountId : row.key_id ? ((await gateway.admin.findKey(row.key_id))?.account_id ?? null) : null;
  sendJson(exchange.response, 200, { data: generationData(row, displayName(gateway), owner) });
}
