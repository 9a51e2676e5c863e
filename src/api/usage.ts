/**
 * GET /api/v1/usage?from=ISO&to=ISO&format=json|csv — the calling key's generations in a period
 * (admin keys: every key, or `key_id=`), with tokens by kind and cost. At most 100,000 rows.
 */
import { authenticate } from '../http/auth.js';
import type { Exchange } from '../gateway.js';
import { formatUsd } from '../lib/money.js';
import { invalidRequest } from '../contract/errors.js';
import type { GenerationRow } from '../store/repos/generations.js';

const COLUMNS = [
  'id',
  'created_at',
  'key_id',
  'model',
  'provider',
  'upstream_model',
  'status',
  'finish_reason',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'usage_estimated',
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  'app_referer',
  'app_title',
] as const;

function parseTime(value: string | null, fallback: number, field: string): number {
  if (value === null) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  // 8.64e15 ms is the last instant a JavaScript Date can hold.
  if (!Number.isFinite(parsed) || Math.abs(parsed) > 8.64e15)
    throw invalidRequest(`Invalid '${field}': expected an ISO date or epoch milliseconds.`, field);
  return parsed;
}

function flatten(row: GenerationRow): Record<(typeof COLUMNS)[number], string | number | null> {
  return {
    id: row.id,
    created_at: new Date(row.created_at).toISOString(),
    key_id: row.key_id,
    model: row.model,
    provider: row.provider,
    upstream_model: row.upstream_model,
    status: row.status,
    finish_reason: row.finish_reason,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    cached_tokens: row.cached_tokens,
    cache_write_tokens: row.cache_write_tokens,
    reasoning_tokens: row.reasoning_tokens,
    usage_estimated: row.usage_estimated,
    cost_usd: row.cost === null ? null : formatUsd(row.cost),
    latency_ms: row.latency_ms,
    ttft_ms: row.ttft_ms,
    app_referer: row.app_referer,
    app_title: row.app_title,
  };
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text; // quoted; formula-looking cells too
}

export async function usageExport(exchange: Exchange): Promise<void> {
  const { gateway, query, response } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  const now = Date.now();
  const from = parseTime(query.get('from'), now - 30 * 86_400_000, 'from');
  const to = parseTime(query.get('to'), now + 1, 'to');
  const format = query.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw invalidRequest("Invalid 'format': expected json or csv.", 'format');
  const keyId = key.isAdmin ? (query.get('key_id') ?? undefined) : key.id;
  await gateway.sink.flush();
  const rows = (await gateway.admin.listGenerations({ keyId, from, to, limit: 100_000 })).map(flatten);
  if (format === 'json') {
    const text = JSON.stringify({ data: rows, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
    return;
  }
  const lines = [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => csvCell(row[column])).join(','))];
  const text = `${lines.join('\n')}\n`;
  response.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="agora-usage-${new Date(from).toISOString().slice(0, 10)}.csv"`,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
