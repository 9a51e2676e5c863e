/**
 * One request's record, filled in as the request goes (attempts, first token, usage, outcome) and
 * handed to the sink once, when the response has ended. Building it costs no I/O.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { newGenerationId } from '../lib/ids.js';
import type { AttemptRecord } from '../routing/execute.js';
import type { Cost } from './cost.js';
import type { AgoraError } from '../contract/errors.js';
import type { FinishReason } from '../contract/finish-reason.js';
import type { Usage } from '../contract/usage.js';
import type { NewGeneration } from '../store/repos/generations.js';

export type GenerationStatus = 'success' | 'error' | 'cancelled';

/** What a request's spans need beyond its record; set only while tracing is on (telemetry/), else undefined. */
export interface SpanNotes {
  /** Start and end (performance.now()) of each attempt made, in the order of its record. */
  timings: number[];
  /** The model the client asked for (the record's `model` becomes the one that answered). */
  requestModel: string;
  /** The caller's W3C `traceparent`, when it sent one: the request's span joins that trace. */
  traceparent: string | undefined;
  /** The request's generation parameters (max_tokens, temperature, top_p …). */
  params: Readonly<Record<string, unknown>> | undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.slice(0, 300) : null;
}

export class GenerationTrace {
  readonly id = newGenerationId();
  readonly createdAt = Date.now();
  provider: string | null = null;
  upstreamModel: string | null = null;
  upstreamId: string | null = null;
  model: string;
  attempts: AttemptRecord[] = [];
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  ttftMs: number | null = null;
  /** UTF-8 bytes of output streamed to the client (for an estimate when no usage arrives). */
  outputBytes = 0;
  /** The gateway's own estimate of the prompt, used when the upstream reports no usage. */
  promptTokensEstimate: number | undefined;
  /** The `x-agora-policy` header: the policies applied and the client region. */
  policy: string | undefined = undefined;
  /** Set by telemetry when tracing is on. */
  span: SpanNotes | undefined = undefined;
  /** Charged nanodollars, once settled. */
  cost: number | null = null;
  /** The priced parts of the charge, once settled. */
  costBreakdown: Cost | undefined;
  private readonly referer: string | null;
  private readonly title: string | null;

  constructor(
    readonly api: 'chat' | 'embeddings',
    readonly keyId: string | null,
    readonly accountId: string | null,
    model: string,
    readonly streamed: boolean,
    /** performance.now() when the request arrived. */
    readonly startedAt: number,
    headers: IncomingHttpHeaders,
  ) {
    this.model = model;
    this.referer = header(headers, 'http-referer') ?? header(headers, 'referer');
    this.title = header(headers, 'x-title') ?? header(headers, 'x-openrouter-title');
  }

  markFirstToken(): void {
    if (this.ttftMs === null) this.ttftMs = Math.round(performance.now() - this.startedAt);
  }

  /** The row for the sink. */
  /** Whether the usage is the gateway's estimate (the upstream reported none). */
  get usageEstimated(): boolean {
    return this.usage === undefined && this.outputBytes > 0;
  }

  /** The usage to bill and record: the upstream's, or an estimate from what was delivered (bytes / 4). */
  billableUsage(): Usage | undefined {
    if (this.usage !== undefined || this.outputBytes === 0) return this.usage;
    const completion = Math.ceil(this.outputBytes / 4);
    const prompt = this.promptTokensEstimate;
    return {
      promptTokens: prompt,
      completionTokens: completion,
      totalTokens: prompt === undefined ? undefined : prompt + completion,
      cachedTokens: undefined,
      cacheWriteTokens: undefined,
      reasoningTokens: undefined,
      raw: undefined,
    };
  }

  row(status: GenerationStatus, httpStatus: number, error?: AgoraError): NewGeneration {
    const usage = this.billableUsage();
    const estimated = this.usageEstimated ? 1 : 0;
    return {
      id: this.id,
      key_id: this.keyId,
      api: this.api,
      model: this.model,
      provider: this.provider,
      upstream_model: this.upstreamModel,
      upstream_id: this.upstreamId,
      streamed: this.streamed ? 1 : 0,
      status,
      http_status: httpStatus,
      error_code: error?.code ?? null,
      error_message: error ? error.message.slice(0, 500) : null,
      finish_reason: this.finishReason?.raw ?? (status === 'error' ? 'error' : null),
      prompt_tokens: usage?.promptTokens ?? null,
      completion_tokens: usage?.completionTokens ?? null,
      total_tokens: usage?.totalTokens ?? null,
      cached_tokens: usage?.cachedTokens ?? null,
      reasoning_tokens: usage?.reasoningTokens ?? null,
      cache_write_tokens: usage?.cacheWriteTokens ?? null,
      cost: this.cost,
      latency_ms: Math.round(performance.now() - this.startedAt),
      ttft_ms: this.ttftMs,
      usage_estimated: estimated,
      app_referer: this.referer,
      app_title: this.title,
      attempts: this.attempts.length > 0 ? JSON.stringify(this.attempts) : null,
      created_at: this.createdAt,
      account_id: this.accountId,
    };
  }
}
