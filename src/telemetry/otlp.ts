/**
 * OpenTelemetry traces over OTLP/HTTP, binary protobuf by default or JSON (otlp-writers.ts), loaded
 * only when an endpoint is configured (telemetry.ts imports this file dynamically). Spans follow
 * the GenAI semantic conventions and are built after the request from its record (`GenerationTrace`), so the request
 * path carries no span objects, no context propagation and no SDK: one SERVER span per model
 * request (`chat {model}`) and one CLIENT span per upstream attempt, batched and POSTed to
 * `…/v1/traces` every second (OTEL_BSP_SCHEDULE_DELAY) or at 512 spans, at most 4,096 queued.
 * Spans are encoded as they are described (no object graph per span, no serialiser), straight into
 * the batch, and ids come from a pooled random buffer: what a traced request costs is a few
 * microseconds of encoding.
 *
 * Why not the @opentelemetry SDK: the gateway knows every timing already (the record), so all the
 * SDK would add is per-request span objects and context plumbing on the hot path, plus ~10
 * packages; the wire format (OTLP/JSON, opentelemetry-proto's JSON mapping) is small and stable.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { TelemetrySettings } from '../config/types.js';
import type { AgoraError } from '../contract/errors.js';
import type { Logger } from '../lib/logger.js';
import type { GenerationStatus, GenerationTrace } from '../metering/trace.js';
import type { SpanExporter, TelemetrySources } from './types.js';
import { JsonSpans, ProtoSpans, type ExportHeader, type SpanBatchWriter, type SpanWriter } from './otlp-writers.js';

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const MAX_QUEUE = 4_096;
const MAX_BATCH = 512;

/** Provider ids → `gen_ai.provider.name` well-known values where the conventions name them differently. */
const PROVIDER_NAMES: Record<string, string> = {
  gemini: 'gcp.gemini',
  google: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  bedrock: 'aws.bedrock',
  azure: 'azure.ai.openai',
  watsonx: 'ibm.watsonx.ai',
};
const providerName = (id: string): string => PROVIDER_NAMES[id] ?? id;

/** Random ids from a pooled buffer (one randomFillSync per 512 ids rather than one call per id). */
const POOL = Buffer.allocUnsafe(4_096);
let poolAt = POOL.length;
function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const text = POOL.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return text;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

interface Server {
  address: string | undefined;
  port: number | undefined;
}
const servers = new Map<string, Server>();
/** A base URL's host and port (cached: a provider's URL is parsed once). */
function serverOf(url: string | undefined): Server {
  if (!url) return { address: undefined, port: undefined };
  let found = servers.get(url);
  if (!found) {
    try {
      const parsed = new URL(url);
      found = {
        address: parsed.hostname.replace(/^\[|\]$/g, ''),
        port: parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80,
      };
    } catch {
      found = { address: undefined, port: undefined };
    }
    if (servers.size < 1_000) servers.set(url, found);
  }
  return found;
}

function version(): string | undefined {
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'agora') return manifest.version;
    } catch {
      // try the next layout (src/ under tsx, dist/ when built)
    }
  }
  return undefined;
}

/**
 * Describes the spans of one request to `out`: the request's own, then one per upstream attempt
 * made. Returns how many.
 */
export function writeSpans(
  out: SpanWriter,
  trace: GenerationTrace,
  status: GenerationStatus,
  httpStatus: number,
  error: AgoraError | undefined,
  sources: TelemetrySources | undefined,
  end = performance.now(),
): number {
  const notes = trace.span!;
  const parent = notes.traceparent ? TRACEPARENT.exec(notes.traceparent) : null;
  const traceId = parent && !/^0+$/.test(parent[1]!) ? parent[1]! : randomHex(16);
  const spanId = randomHex(8);
  const operation = trace.api === 'chat' ? 'chat' : 'embeddings';
  const params = notes.params ?? {};
  const usage = trace.billableUsage();
  const provider = trace.provider ? providerName(trace.provider) : undefined;
  const server = serverOf(trace.provider ? sources?.providerUrl(trace.provider) : undefined);
  const finish = trace.finishReason ? [trace.finishReason.unified] : undefined;
  const failed = status === 'error';
  const maxTokens = params.max_tokens ?? params.max_completion_tokens;
  const sampling = (): void => {
    out.num('gen_ai.request.max_tokens', maxTokens);
    out.num('gen_ai.request.temperature', params.temperature);
    out.num('gen_ai.request.top_p', params.top_p);
  };
  let made = 0;
  let lastMade = -1;
  for (let index = 0; index < trace.attempts.length; index++) {
    if (trace.attempts[index]!.status !== 0) {
      made++;
      lastMade = index;
    }
  }
  const errorType = failed ? (error?.code ?? 'error') : undefined;
  out.begin(traceId, spanId, parent ? parent[2] : undefined, `${operation} ${notes.requestModel}`, SPAN_KIND_SERVER, trace.startedAt, end);
  out.cached(
    `s\0${operation}\0${provider === undefined ? '' : `=${provider}`}\0${notes.requestModel}\0${trace.provider ? `=${trace.model}` : ''}`,
    () => {
      out.str('gen_ai.operation.name', operation);
      out.str('gen_ai.provider.name', provider);
      out.str('gen_ai.system', provider);
      out.str('gen_ai.request.model', notes.requestModel);
      out.str('gen_ai.response.model', trace.provider ? trace.model : undefined);
    },
  );
  out.str('gen_ai.response.id', status === 'success' ? trace.id : undefined);
  out.num('gen_ai.usage.input_tokens', usage?.promptTokens);
  out.num('gen_ai.usage.output_tokens', usage?.completionTokens);
  sampling();
  out.num('gen_ai.request.frequency_penalty', params.frequency_penalty);
  out.num('gen_ai.request.presence_penalty', params.presence_penalty);
  out.num('gen_ai.request.seed', params.seed);
  out.list('gen_ai.request.stop_sequences', params.stop);
  out.num('gen_ai.request.choice.count', params.n === 1 ? undefined : params.n);
  out.list('gen_ai.response.finish_reasons', finish);
  out.str('server.address', server.address);
  out.num('server.port', server.port);
  out.num('http.response.status_code', httpStatus);
  out.str('error.type', errorType);
  out.str('agora.generation.id', trace.id);
  out.str('agora.status', status);
  out.bool('agora.stream', trace.streamed);
  out.num('agora.attempts', made);
  out.num('agora.time_to_first_token_ms', trace.ttftMs ?? undefined);
  out.num('agora.cost_usd', trace.cost === null ? undefined : trace.cost / 1e9);
  if (trace.usageEstimated) out.bool('agora.usage_estimated', true);
  out.end(failed ? (error?.message.slice(0, 500) ?? 'error') : undefined);
  let timing = 0;
  for (let index = 0; index < trace.attempts.length; index++) {
    const attempt = trace.attempts[index]!;
    if (attempt.status === 0) continue;
    const started = notes.timings[timing] ?? trace.startedAt;
    let ended = notes.timings[timing + 1] ?? end;
    timing += 2;
    const winner = index === lastMade && attempt.reason === 'ok';
    if (winner && trace.streamed) ended = end; // the upstream stream was relayed to its end
    const upstream = serverOf(sources?.providerUrl(attempt.provider));
    const attemptError = attempt.reason !== 'ok' ? attempt.reason : failed ? errorType : undefined;
    const name = providerName(attempt.provider);
    out.begin(traceId, randomHex(8), spanId, `${operation} ${attempt.upstream_model}`, SPAN_KIND_CLIENT, started, Math.max(started, ended));
    out.cached(`c\0${operation}\0${name}\0${attempt.upstream_model}`, () => {
      out.str('gen_ai.operation.name', operation);
      out.str('gen_ai.provider.name', name);
      out.str('gen_ai.system', name);
      out.str('gen_ai.request.model', attempt.upstream_model);
    });
    if (winner) {
      out.str('gen_ai.response.model', attempt.upstream_model);
      out.str('gen_ai.response.id', trace.upstreamId);
      out.num('gen_ai.usage.input_tokens', usage?.promptTokens);
      out.num('gen_ai.usage.output_tokens', usage?.completionTokens);
    }
    sampling();
    if (winner) out.list('gen_ai.response.finish_reasons', finish);
    out.str('server.address', upstream.address);
    out.num('server.port', upstream.port);
    out.str('error.type', attemptError);
    out.str('agora.endpoint', attempt.endpoint);
    out.num('agora.attempt.status', attempt.status);
    out.end(attemptError);
  }
  return made + 1;
}

export class OtlpExporter implements SpanExporter {
  /** The batch being filled, in the configured encoding. */
  private readonly batch: SpanBatchWriter;
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private readonly delayMs: number;

  private lastWarning = 0;

  constructor(
    private readonly settings: TelemetrySettings,
    private readonly logger: Logger,
    private readonly counts: { exported: (count: number) => void; dropped: (count: number) => void },
  ) {
    const delay = Number(process.env.OTEL_BSP_SCHEDULE_DELAY);
    this.delayMs = Number.isFinite(delay) && delay >= 0 ? delay : 1_000;
    const ours = version();
    const header: ExportHeader = {
      resource: [
        ['service.name', settings.serviceName],
        ['service.version', ours],
        ['telemetry.sdk.name', 'agora'],
        ['telemetry.sdk.language', 'nodejs'],
        ['process.pid', process.pid],
        ['process.runtime.name', 'nodejs'],
        ['process.runtime.version', process.versions.node],
      ],
      scope: { name: 'agora', version: ours },
    };
    this.batch = settings.otlpProtocol === 'http/json' ? new JsonSpans(header) : new ProtoSpans(header);
  }

  add(
    trace: GenerationTrace,
    status: GenerationStatus,
    httpStatus: number,
    error: AgoraError | undefined,
    sources?: TelemetrySources,
  ): void {
    if (this.queued >= MAX_QUEUE) {
      this.counts.dropped(1 + trace.attempts.length);
      return;
    }
    const mark = this.batch.mark();
    try {
      this.queued += writeSpans(this.batch, trace, status, httpStatus, error, sources);
      this.batch.finish();
    } catch (thrown) {
      this.batch.rollback(mark); // a span half written would corrupt the whole export
      throw thrown;
    }
    if (this.queued >= MAX_BATCH) this.send();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.send(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Sends everything queued now; resolves when the collector answered (or failed). */
  async flush(): Promise<void> {
    while (this.queued > 0 || this.sending) {
      if (this.sending) await this.sending;
      else this.send();
    }
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private send(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.sending || this.queued === 0) return;
    const count = this.queued;
    const body = this.batch.take();
    this.queued = 0;
    this.sending = this.post(body, count).finally(() => {
      this.sending = undefined;
      if (this.queued > 0 && !this.timer) {
        this.timer = setTimeout(() => this.send(), this.queued >= MAX_BATCH ? 0 : this.delayMs);
        this.timer.unref();
      }
    });
  }

  private async post(body: string | Buffer, count: number): Promise<void> {
    try {
      const answer = await request(this.settings.otlpTracesUrl!, {
        method: 'POST',
        headers: { ...this.settings.otlpHeaders, 'content-type': this.batch.contentType },
        body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await answer.body.dump();
      if (answer.statusCode >= 200 && answer.statusCode < 300) this.counts.exported(count);
      else this.failed(count, `the collector answered ${answer.statusCode}`);
    } catch (error) {
      this.failed(count, String(error));
    }
  }

  private failed(count: number, reason: string): void {
    this.counts.dropped(count);
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn('exporting spans failed; they are dropped', { spans: count, reason, endpoint: this.settings.otlpTracesUrl });
  }
}
