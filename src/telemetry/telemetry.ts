/**
 * The gateway's telemetry: Prometheus metrics (`GET /metrics`) and, when an OTLP endpoint is
 * configured, OpenTelemetry traces. One object per gateway, built by main.ts and handed to the
 * lifecycle (`LifecycleParts.telemetry`) and the dispatcher.
 *
 * Cost on the request path: the dispatcher bumps its route's pre-created children when a response
 * closes, and `record()` (once per model request, after the answer) bumps the children of the
 * request's model and provider, found through two Map lookups by string — no allocation when
 * nothing new is seen. Everything that mirrors state kept elsewhere (circuits, writer queues, in
 * flight, the process) is read at scrape time. With tracing off, the exporter module is never
 * imported and `begin()` returns at once.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { IncomingMessage } from 'node:http';
import type { TelemetrySettings } from '../config/types.js';
import type { AgoraError } from '../contract/errors.js';
import type { Logger } from '../lib/logger.js';
import type { GenerationStatus, GenerationTrace } from '../metering/trace.js';
import {
  COMMIT_BUCKETS,
  Collected,
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS,
  Registry,
  TTFT_BUCKETS,
  type CounterChild,
  type GaugeChild,
  type HistogramChild,
} from './metrics.js';
import type { SpanExporter, TelemetrySources } from './types.js';
export type { TelemetrySources } from './types.js';

/** One route's series: answers by status and their duration (children made on the route's first answer, so unused routes show nothing). */
export class RouteStats {
  private readonly byStatus = new Map<number, CounterChild>();
  private duration: HistogramChild | undefined;
  constructor(
    private readonly requests: Counter,
    private readonly durations: Histogram,
    private readonly method: string,
    private readonly route: string,
  ) {}

  done(status: number, milliseconds: number): void {
    let child = this.byStatus.get(status);
    if (!child) {
      child = this.requests.child(this.method, this.route, String(status));
      this.byStatus.set(status, child);
    }
    child.value++;
    (this.duration ??= this.durations.child(this.method, this.route)).observe(milliseconds / 1000);
  }
}

/** One model at one provider: its series, created on first use. */
interface ModelStats {
  success: CounterChild;
  error: CounterChild;
  cancelled: CounterChild;
  duration: HistogramChild;
  ttft: HistogramChild;
  promptTokens: CounterChild;
  completionTokens: CounterChild;
  costNanos: CounterChild;
}

const NO_PROVIDER = 'none';

export class Telemetry {
  readonly metricsEnabled: boolean;
  readonly metricsRequireKey: boolean;
  /** True when spans are exported (an OTLP endpoint is configured and its exporter loaded). */
  tracing = false;
  private sampleRatio = 1;
  private exporter: SpanExporter | undefined;
  private sources: TelemetrySources | undefined;
  private readonly registry = new Registry();
  private readonly routes = new Map<string, RouteStats>();
  private readonly models = new Map<string, Map<string, ModelStats>>();
  private readonly errorChildren = new Map<string, CounterChild>();
  private readonly attemptChildren = new Map<string, Map<string, CounterChild>>();
  private readonly eventLoop: IntervalHistogram | undefined;

  private readonly httpRequests = new Counter('agora_http_requests_total', 'HTTP answers by route, method and status.', [
    'method',
    'route',
    'status',
  ]);
  private readonly httpDuration = new Histogram(
    'agora_http_request_duration_seconds',
    'From the request arriving to the answer closing, by route.',
    ['method', 'route'],
    LATENCY_BUCKETS,
  );
  private readonly errors = new Counter('agora_errors_total', 'Error answers (and streams ended by an error) by kind and code.', [
    'kind',
    'code',
  ]);
  private readonly generations = new Counter('agora_generations_total', 'Model requests by outcome, model and provider.', [
    'api',
    'model',
    'provider',
    'status',
  ]);
  private readonly generationDuration = new Histogram(
    'agora_generation_duration_seconds',
    'Model requests from arrival to the end of the answer, by model and provider.',
    ['model', 'provider'],
    LATENCY_BUCKETS,
  );
  private readonly ttft = new Histogram(
    'agora_time_to_first_token_seconds',
    'From arrival to the first output token (the whole answer for a JSON answer), by model and provider.',
    ['model', 'provider'],
    TTFT_BUCKETS,
  );
  private readonly tokens = new Counter('agora_tokens_total', 'Tokens billed, by model, provider and type (prompt, completion).', [
    'model',
    'provider',
    'type',
  ]);
  private readonly cost = new Counter('agora_cost_usd_total', 'Cost charged (USD), by model and provider.', ['model', 'provider'], 1e9);
  private readonly attempts = new Counter(
    'agora_upstream_attempts_total',
    'Upstream calls made, by provider and outcome (ok, or the error code that ended the attempt).',
    ['provider', 'outcome'],
  );
  readonly openStreams: GaugeChild;
  private readonly openStreamsFamily: Gauge;
  private readonly batchSeconds = new Histogram(
    'agora_batch_write_seconds',
    'Time to write one batch (one transaction), by writer: ledger (group commits), records, audit, responses.',
    ['writer'],
    COMMIT_BUCKETS,
  );
  private readonly commitLag = new Histogram(
    'agora_ledger_commit_lag_seconds',
    'Per group commit of the ledger: from the oldest charge in the batch being posted to its commit (what an answer waits for its last byte).',
    [],
    COMMIT_BUCKETS,
  );
  private readonly batchRows = new Counter('agora_batch_rows_total', 'Rows written, by writer.', ['writer']);
  private readonly batchFailures = new Counter('agora_batch_failures_total', 'Batches that failed (and were requeued), by writer.', [
    'writer',
  ]);
  private readonly spansDropped = new Counter(
    'agora_trace_spans_dropped_total',
    'Spans dropped: the export queue was full or the collector refused them.',
  );
  private readonly spansExported = new Counter('agora_trace_spans_exported_total', 'Spans accepted by the OTLP collector.');

  constructor(
    settings: TelemetrySettings,
    private readonly logger: Logger,
  ) {
    this.metricsEnabled = settings.metricsEnabled;
    this.metricsRequireKey = settings.metricsRequireKey;
    this.openStreamsFamily = new Gauge('agora_open_streams', 'Streamed answers being relayed now.');
    this.openStreams = this.openStreamsFamily.child();
    if (!this.metricsEnabled) return;
    this.eventLoop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.eventLoop.enable();
    const registry = this.registry;
    registry.add(this.httpRequests);
    registry.add(this.httpDuration);
    registry.add(new Collected('agora_http_requests_in_flight', 'Requests being served now.', 'gauge', [], () => [[[], this.inFlight()]]));
    registry.add(this.errors);
    registry.add(this.generations);
    registry.add(this.generationDuration);
    registry.add(this.ttft);
    registry.add(this.tokens);
    registry.add(this.cost);
    registry.add(this.attempts);
    registry.add(this.openStreamsFamily);
    registry.add(
      new Collected(
        'agora_circuit_state',
        'Endpoint circuits: 1 for the state each endpoint is in (closed, open, half-open), 0 for the others.',
        'gauge',
        ['endpoint', 'state'],
        () => this.circuits(),
      ),
    );
    registry.add(
      new Collected('agora_circuit_ejections', 'Times each endpoint has been ejected (its circuit opened).', 'gauge', ['endpoint'], () =>
        [...(this.sources?.health.entries() ?? [])].map(([key, health]) => [[key], health.ejections] as const),
      ),
    );
    registry.add(this.commitLag);
    registry.add(this.batchSeconds);
    registry.add(this.batchRows);
    registry.add(this.batchFailures);
    registry.add(
      new Collected('agora_batch_pending_rows', 'Rows queued and not yet written, by writer.', 'gauge', ['writer'], () =>
        Object.entries(this.sources?.writers ?? {}).map(([name, writer]) => [[name], writer.pending] as const),
      ),
    );
    for (const family of processFamilies(this.eventLoop)) registry.add(family);
  }

  /** Loads the OTLP exporter when an endpoint is configured (a dynamic import: nothing is loaded otherwise). */
  async start(settings: TelemetrySettings): Promise<void> {
    if (!settings.otlpTracesUrl) return;
    const { OtlpExporter } = await import('./otlp.js');
    this.exporter = new OtlpExporter(settings, this.logger, {
      exported: (count) => this.spansExported.child().inc(count),
      dropped: (count) => this.spansDropped.child().inc(count),
    });
    this.tracing = true;
    this.sampleRatio = settings.traceSampleRatio;
    if (this.metricsEnabled) {
      this.registry.add(this.spansExported);
      this.registry.add(this.spansDropped);
    }
  }

  /** Wires the scrape to the gateway's state and the writers' batches to their histograms. */
  attach(sources: TelemetrySources): void {
    this.sources = sources;
    if (!this.metricsEnabled) return;
    for (const [name, writer] of Object.entries(sources.writers)) {
      const seconds = this.batchSeconds.child(name);
      const rows = this.batchRows.child(name);
      const failures = this.batchFailures.child(name);
      const lag = name === 'ledger' ? this.commitLag.child() : undefined;
      writer.observer = (count, writeSeconds, oldestWaitSeconds, ok) => {
        seconds.observe(writeSeconds);
        if (!ok) {
          failures.value++;
          return;
        }
        rows.value += count;
        if (lag && oldestWaitSeconds !== undefined) lag.observe(oldestWaitSeconds);
      };
    }
  }

  /** The series of one route (`METHOD /path` as in the route table), or undefined with metrics off. */
  route(method: string, path: string): RouteStats | undefined {
    if (!this.metricsEnabled) return undefined;
    const key = `${method} ${path}`;
    let stats = this.routes.get(key);
    if (!stats) {
      stats = new RouteStats(this.httpRequests, this.httpDuration, method, path);
      this.routes.set(key, stats);
    }
    return stats;
  }

  /** An error answered (by a route, or by the lifecycle before or during an answer). */
  error(error: AgoraError): void {
    if (!this.metricsEnabled) return;
    const key = `${error.kind}\u0001${error.code}`;
    let child = this.errorChildren.get(key);
    if (!child) {
      child = this.errors.child(error.kind, error.code);
      this.errorChildren.set(key, child);
    }
    child.value++;
  }

  /** At the start of a model request: with tracing on, notes what its spans will need. */
  begin(trace: GenerationTrace, request: IncomingMessage, params: Readonly<Record<string, unknown>> | undefined): void {
    if (!this.tracing) return;
    const parent = request.headers.traceparent;
    // Parent-based sampling: a caller's traceparent decides (its sampled flag); otherwise the ratio does.
    const sampled =
      typeof parent === 'string' && parent.length === 55
        ? (parseInt(parent.slice(53), 16) & 1) === 1
        : this.sampleRatio >= 1 || Math.random() < this.sampleRatio;
    if (!sampled) return;
    trace.span = { timings: [], requestModel: trace.model, traceparent: typeof parent === 'string' ? parent : undefined, params };
  }

  /** A model request's outcome (with its record): metrics, and its spans when tracing. */
  record(trace: GenerationTrace, status: GenerationStatus, httpStatus: number, error: AgoraError | undefined): void {
    if (error && status === 'error') this.error(error);
    if (this.metricsEnabled) this.count(trace, status);
    if (this.exporter && trace.span) this.exporter.add(trace, status, httpStatus, error, this.sources);
  }

  private count(trace: GenerationTrace, status: GenerationStatus): void {
    const provider = trace.provider ?? NO_PROVIDER;
    const stats = this.modelStats(trace.api, trace.model, provider);
    stats[status].value++;
    stats.duration.observe((performance.now() - trace.startedAt) / 1000);
    if (trace.ttftMs !== null) stats.ttft.observe(trace.ttftMs / 1000);
    const usage = trace.billableUsage();
    if (usage) {
      if (usage.promptTokens !== undefined) stats.promptTokens.value += usage.promptTokens;
      if (usage.completionTokens !== undefined) stats.completionTokens.value += usage.completionTokens;
    }
    if (trace.cost !== null) stats.costNanos.value += trace.cost;
    for (const attempt of trace.attempts) {
      if (attempt.status === 0) continue;
      let byOutcome = this.attemptChildren.get(attempt.provider);
      if (!byOutcome) this.attemptChildren.set(attempt.provider, (byOutcome = new Map()));
      let child = byOutcome.get(attempt.reason);
      if (!child) byOutcome.set(attempt.reason, (child = this.attempts.child(attempt.provider, attempt.reason)));
      child.value++;
    }
  }

  private modelStats(api: string, model: string, provider: string): ModelStats {
    let byProvider = this.models.get(model);
    if (!byProvider) this.models.set(model, (byProvider = new Map()));
    let stats = byProvider.get(provider);
    if (!stats) {
      stats = {
        success: this.generations.child(api, model, provider, 'success'),
        error: this.generations.child(api, model, provider, 'error'),
        cancelled: this.generations.child(api, model, provider, 'cancelled'),
        duration: this.generationDuration.child(model, provider),
        ttft: this.ttft.child(model, provider),
        promptTokens: this.tokens.child(model, provider, 'prompt'),
        completionTokens: this.tokens.child(model, provider, 'completion'),
        costNanos: this.cost.child(model, provider),
      };
      byProvider.set(provider, stats);
    }
    return stats;
  }

  private inFlight(): number {
    return this.sources ? Math.max(0, this.sources.inFlight() - 1) : 0; // the scrape itself is not counted
  }

  private *circuits(): Iterable<readonly [readonly string[], number]> {
    if (!this.sources) return;
    const now = Date.now();
    for (const [key, health] of this.sources.health.entries()) {
      const state = health.circuit === 'open' && now >= health.openUntil ? 'half-open' : health.circuit;
      for (const candidate of ['closed', 'open', 'half-open'] as const) yield [[key, candidate], candidate === state ? 1 : 0];
    }
  }

  /** Sends the spans queued now (tests, shutdown). */
  async flush(): Promise<void> {
    await this.exporter?.flush();
  }

  /** The exposition text. */
  render(): string {
    return this.registry.render();
  }

  /** Exports the spans still queued. */
  async close(): Promise<void> {
    this.eventLoop?.disable();
    await this.exporter?.close();
  }
}

/** How often the event-loop delay is sampled (monitorEventLoopDelay's timer), ms. */
const EVENT_LOOP_RESOLUTION_MS = 20;

/**
 * An event-loop delay in seconds from one of monitorEventLoopDelay's values. Node records the time
 * between two ticks of its sampling timer, the interval included (an idle loop reads 20 ms), so the
 * delay is what exceeds the interval; a tick that comes early after a late one reads 0.
 */
function loopDelaySeconds(recordedNs: number): number {
  return Math.max(0, recordedNs - EVENT_LOOP_RESOLUTION_MS * 1e6) / 1e9;
}

/** Process metrics under prom-client's default names, so stock Node.js dashboards work. */
function processFamilies(eventLoop: IntervalHistogram): Collected[] {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  const cpu = (pick: (usage: NodeJS.CpuUsage) => number) => (): Array<readonly [string[], number]> => [
    [[], pick(process.cpuUsage()) / 1e6],
  ];
  return [
    new Collected(
      'process_cpu_user_seconds_total',
      'User CPU time spent, seconds.',
      'counter',
      [],
      cpu((usage) => usage.user),
    ),
    new Collected(
      'process_cpu_system_seconds_total',
      'System CPU time spent, seconds.',
      'counter',
      [],
      cpu((usage) => usage.system),
    ),
    new Collected(
      'process_cpu_seconds_total',
      'User and system CPU time spent, seconds.',
      'counter',
      [],
      cpu((usage) => usage.user + usage.system),
    ),
    new Collected('process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds.', 'gauge', [], () => [
      [[], startSeconds],
    ]),
    new Collected('process_resident_memory_bytes', 'Resident memory size, bytes.', 'gauge', [], () => [[[], process.memoryUsage.rss()]]),
    new Collected('process_open_fds', 'Open file descriptors.', 'gauge', [], () => {
      try {
        return [[[], readdirSync('/proc/self/fd').length]];
      } catch {
        return [];
      }
    }),
    new Collected('nodejs_heap_size_total_bytes', 'V8 heap size, bytes.', 'gauge', [], () => [[[], process.memoryUsage().heapTotal]]),
    new Collected('nodejs_heap_size_used_bytes', 'V8 heap used, bytes.', 'gauge', [], () => [[[], process.memoryUsage().heapUsed]]),
    new Collected('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript, bytes.', 'gauge', [], () => [
      [[], process.memoryUsage().external],
    ]),
    new Collected(
      'nodejs_eventloop_lag_seconds',
      `Event loop delay since the last scrape, beyond the ${EVENT_LOOP_RESOLUTION_MS} ms sampling interval (quantile 0.5, 0.99, and the maximum as quantile 1), seconds.`,
      'gauge',
      ['quantile'],
      () => {
        const samples: Array<readonly [string[], number]> =
          eventLoop.count === 0
            ? []
            : [
                [['0.5'], loopDelaySeconds(eventLoop.percentile(50))],
                [['0.99'], loopDelaySeconds(eventLoop.percentile(99))],
                [['1'], loopDelaySeconds(eventLoop.max)],
              ];
        eventLoop.reset();
        return samples;
      },
    ),
    new Collected('nodejs_version_info', 'Node.js version.', 'gauge', ['version', 'major'], () => [
      [[process.version, process.versions.node.split('.')[0]!], 1],
    ]),
  ];
}
