/**
 * OpenTelemetry traces over OTLP/HTTP with the JSON encoding, loaded only when an endpoint is
 * configured (telemetry.ts imports this file dynamically). Spans follow the GenAI semantic
 * conventions and are built after the request from its record (`GenerationTrace`), so the request
 * path carries no span objects, no context propagation and no SDK: one SERVER span per model
 * request (`chat {model}`) and one CLIENT span per upstream attempt, batched and POSTed to
 * `…/v1/traces` every second (OTEL_BSP_SCHEDULE_DELAY) or at 512 spans, at most 4,096 queued.
 * Spans are written as JSON text directly (no object graph per span, no JSON.stringify of it), ids
 * come from a pooled random buffer, and timestamps are decimal strings without BigInt: what a
 * traced request costs is a few microseconds of string building, measured by bench/telemetry.mjs.
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

/** Printable ASCII without `"` or `\`: written between quotes as is; anything else goes through JSON.stringify. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quote = (text: string): string => (PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

// One attribute each, as `,{"key":…,"value":…}` ('' when there is no value); keys are constants.
function str(key: string, value: string | null | undefined): string {
  return value === undefined || value === null ? '' : `,{"key":"${key}","value":{"stringValue":${quote(value)}}}`;
}
function num(key: string, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  return Number.isInteger(value)
    ? `,{"key":"${key}","value":{"intValue":"${value}"}}`
    : `,{"key":"${key}","value":{"doubleValue":${value}}}`;
}
function bool(key: string, value: boolean | undefined): string {
  return value === undefined ? '' : `,{"key":"${key}","value":{"boolValue":${value}}}`;
}
function list(key: string, values: unknown): string {
  if (typeof values === 'string') values = [values];
  if (!Array.isArray(values)) return '';
  let text = '';
  for (const value of values) if (typeof value === 'string') text += `${text === '' ? '' : ','}{"stringValue":${quote(value)}}`;
  return `,{"key":"${key}","value":{"arrayValue":{"values":[${text}]}}}`;
}

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

/** performance.now() → Unix nanoseconds as OTLP/JSON's decimal string (to the double's precision, without BigInt). */
export function unixNano(at: number): string {
  const ms = performance.timeOrigin + at;
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * 1e6);
  return nanos >= 1e6 ? `${whole + 1}000000` : `${whole}${String(nanos).padStart(6, '0')}`;
}

/**
 * The attributes a span opens with that are the same for every request to one model on one
 * endpoint (operation, provider, models), written once per combination and reused: without the
 * leading comma, so a span's list needs no slicing.
 */
const prefixes = new Map<string, string>();
function prefix(key: string, make: () => string): string {
  let found = prefixes.get(key);
  if (found === undefined) {
    found = make().slice(1);
    if (prefixes.size < 10_000) prefixes.set(key, found);
  }
  return found;
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

function span(
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  kind: number,
  start: number,
  end: number,
  attributes: string,
  error: string | undefined,
): string {
  return (
    `{"traceId":"${traceId}","spanId":"${spanId}"${parentSpanId ? `,"parentSpanId":"${parentSpanId}"` : ''},"name":${quote(name)},` +
    `"kind":${kind},"startTimeUnixNano":"${unixNano(start)}","endTimeUnixNano":"${unixNano(end)}",` +
    `"attributes":[${attributes}],"status":${error === undefined ? '{"code":0}' : `{"code":2,"message":${quote(error)}}`}}`
  );
}

/** The spans of one request as OTLP/JSON text (comma-separated): the request's own, then one per upstream attempt made. */
export function buildSpans(
  trace: GenerationTrace,
  status: GenerationStatus,
  httpStatus: number,
  error: AgoraError | undefined,
  sources: TelemetrySources | undefined,
  end = performance.now(),
): { text: string; count: number } {
  const notes = trace.span!;
  const parent = notes.traceparent ? TRACEPARENT.exec(notes.traceparent) : null;
  const traceId = parent && !/^0+$/.test(parent[1]!) ? parent[1]! : randomHex(16);
  const spanId = randomHex(8);
  const operation = trace.api === 'chat' ? 'chat' : 'embeddings';
  const params = notes.params ?? {};
  const usage = trace.billableUsage();
  const provider = trace.provider ? providerName(trace.provider) : undefined;
  const server = serverOf(trace.provider ? sources?.providerUrl(trace.provider) : undefined);
  const finish = trace.finishReason ? list('gen_ai.response.finish_reasons', [trace.finishReason.unified]) : '';
  const failed = status === 'error';
  const maxTokens = params.max_tokens ?? params.max_completion_tokens;
  const sampling =
    num('gen_ai.request.max_tokens', maxTokens) +
    num('gen_ai.request.temperature', params.temperature) +
    num('gen_ai.request.top_p', params.top_p);
  let made = 0;
  let lastMade = -1;
  for (let index = 0; index < trace.attempts.length; index++) {
    if (trace.attempts[index]!.status !== 0) {
      made++;
      lastMade = index;
    }
  }
  const errorType = failed ? (error?.code ?? 'error') : undefined;
  let text = span(
    traceId,
    spanId,
    parent ? parent[2] : undefined,
    `${operation} ${notes.requestModel}`,
    SPAN_KIND_SERVER,
    trace.startedAt,
    end,
    prefix(
      `s\0${operation}\0${provider === undefined ? '' : `=${provider}`}\0${notes.requestModel}\0${trace.provider ? `=${trace.model}` : ''}`,
      () =>
        str('gen_ai.operation.name', operation) +
        str('gen_ai.provider.name', provider) +
        str('gen_ai.system', provider) +
        str('gen_ai.request.model', notes.requestModel) +
        str('gen_ai.response.model', trace.provider ? trace.model : undefined),
    ) +
      str('gen_ai.response.id', status === 'success' ? trace.id : undefined) +
      num('gen_ai.usage.input_tokens', usage?.promptTokens) +
      num('gen_ai.usage.output_tokens', usage?.completionTokens) +
      sampling +
      num('gen_ai.request.frequency_penalty', params.frequency_penalty) +
      num('gen_ai.request.presence_penalty', params.presence_penalty) +
      num('gen_ai.request.seed', params.seed) +
      (params.stop === undefined || params.stop === null ? '' : list('gen_ai.request.stop_sequences', params.stop)) +
      num('gen_ai.request.choice.count', params.n === 1 ? undefined : params.n) +
      finish +
      str('server.address', server.address) +
      num('server.port', server.port) +
      num('http.response.status_code', httpStatus) +
      str('error.type', errorType) +
      str('agora.generation.id', trace.id) +
      str('agora.status', status) +
      bool('agora.stream', trace.streamed) +
      num('agora.attempts', made) +
      num('agora.time_to_first_token_ms', trace.ttftMs ?? undefined) +
      num('agora.cost_usd', trace.cost === null ? undefined : trace.cost / 1e9) +
      (trace.usageEstimated ? bool('agora.usage_estimated', true) : ''),
    failed ? (error?.message.slice(0, 500) ?? 'error') : undefined,
  );
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
    text += `,${span(
      traceId,
      randomHex(8),
      spanId,
      `${operation} ${attempt.upstream_model}`,
      SPAN_KIND_CLIENT,
      started,
      Math.max(started, ended),
      prefix(
        `c\0${operation}\0${name}\0${attempt.upstream_model}`,
        () =>
          str('gen_ai.operation.name', operation) +
          str('gen_ai.provider.name', name) +
          str('gen_ai.system', name) +
          str('gen_ai.request.model', attempt.upstream_model),
      ) +
        (winner
          ? str('gen_ai.response.model', attempt.upstream_model) +
            str('gen_ai.response.id', trace.upstreamId) +
            num('gen_ai.usage.input_tokens', usage?.promptTokens) +
            num('gen_ai.usage.output_tokens', usage?.completionTokens)
          : '') +
        sampling +
        (winner ? finish : '') +
        str('server.address', upstream.address) +
        num('server.port', upstream.port) +
        str('error.type', attemptError) +
        str('agora.endpoint', attempt.endpoint) +
        num('agora.attempt.status', attempt.status),
      attemptError,
    )}`;
  }
  return { text, count: made + 1 };
}

export class OtlpExporter implements SpanExporter {
  private queue: string[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private readonly delayMs: number;
  /** The request body around the spans: resource and scope, written once. */
  private readonly prefix: string;

  private lastWarning = 0;

  constructor(
    private readonly settings: TelemetrySettings,
    private readonly logger: Logger,
    private readonly counts: { exported: (count: number) => void; dropped: (count: number) => void },
  ) {
    const delay = Number(process.env.OTEL_BSP_SCHEDULE_DELAY);
    this.delayMs = Number.isFinite(delay) && delay >= 0 ? delay : 1_000;
    const ours = version();
    const resource =
      str('service.name', settings.serviceName) +
      str('service.version', ours) +
      str('telemetry.sdk.name', 'agora') +
      str('telemetry.sdk.language', 'nodejs') +
      num('process.pid', process.pid) +
      str('process.runtime.name', 'nodejs') +
      str('process.runtime.version', process.versions.node);
    const scope = ours ? `{"name":"agora","version":${quote(ours)}}` : '{"name":"agora"}';
    this.prefix = `{"resourceSpans":[{"resource":{"attributes":[${resource.slice(1)}]},"scopeSpans":[{"scope":${scope},"spans":[`;
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
    const spans = buildSpans(trace, status, httpStatus, error, sources);
    this.queue.push(spans.text);
    this.queued += spans.count;
    if (this.queued >= MAX_BATCH) this.send();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.send(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Sends everything queued now; resolves when the collector answered (or failed). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.sending) {
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
    if (this.sending || this.queue.length === 0) return;
    const parts = this.queue;
    const count = this.queued;
    this.queue = [];
    this.queued = 0;
    this.sending = this.post(parts, count).finally(() => {
      this.sending = undefined;
      if (this.queue.length > 0 && !this.timer) {
        this.timer = setTimeout(() => this.send(), this.queued >= MAX_BATCH ? 0 : this.delayMs);
        this.timer.unref();
      }
    });
  }

  private async post(parts: string[], count: number): Promise<void> {
    const body = `${this.prefix}${parts.join(',')}]}]}]}`;
    try {
      const answer = await request(this.settings.otlpTracesUrl!, {
        method: 'POST',
        headers: { ...this.settings.otlpHeaders, 'content-type': 'application/json' },
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
